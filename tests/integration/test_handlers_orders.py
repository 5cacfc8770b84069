"""Transcripts of orders by scan: order → pick by scans → ship; receive a purchase order by
scans; count a category by scans. Re-run over signed callbacks in tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core import approvals, orders
from core.storage import UnitOfWork, in_transaction
from handlers.inbound import Inbound
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop
from tests.support.scanning import (
    APPLE_1250G,
    COKE,
    COKE_12,
    MISREAD,
    SPRITE,
    UNKNOWN,
    batch_label,
    register_codes,
)

ORDER = "DD-20261126-0001"
PO = "CG-20261126-0001"


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    await register_codes(uow)
    return chat_factory(uow)


async def _stocked(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 30, 雪碧 10")


async def test_order_reserves_without_moving_stock(chat: Chat) -> None:
    await _stocked(chat)
    created = await chat.say("clerk1", "订单 客户张三: 可乐 2, 雪碧 3 @3.5")
    assert f"已建销售订单 {ORDER}（MAIN）待发货" in created
    assert "客户：张三" in created and "合计 ¥17.50" in created
    assert "MAIN：现有 30 瓶，可用 28 瓶（订单占用 2 瓶）" in await chat.say("clerk1", "查 可乐")


async def test_pick_by_scans_then_ship_moves_stock_and_releases_reservation(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2, 雪碧 3 @3.5")
    started = await chat.say("clerk1", f"拣货 {ORDER}")
    assert "可乐 0/2 · 雪碧 0/3" in started
    assert "✓ 可乐 +1 瓶" in await chat.scan("clerk1", COKE)
    progress = await chat.scan("clerk1", COKE)
    assert "拣货 " + ORDER + "：可乐 2/2 · 雪碧 0/3" in progress
    for _ in range(3):
        last = await chat.scan("clerk1", SPRITE)
    assert "已拣齐，发送 发货 " + ORDER in last
    shipped = await chat.say("clerk1", f"发货 {ORDER}")
    assert "已发货：销售单 XS-20261126-0001" in shipped
    assert "库存：可乐 28 瓶（MAIN），雪碧 7 瓶（MAIN）" in shipped
    assert "已发货" in shipped
    stock = await chat.say("clerk1", "查 可乐")
    assert "MAIN：现有 28 瓶，可用 28 瓶" in stock and "订单占用" not in stock
    detail = await chat.say("clerk1", f"订单 {ORDER}")
    assert "可乐 订 2 瓶：已发 2，未发 0" in detail and "发货单：XS-20261126-0001" in detail


async def test_wrong_item_and_beyond_ordered_scans_are_refused_and_change_nothing(
    chat: Chat,
) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 1")
    await chat.say("clerk1", f"拣货 {ORDER}")
    wrong = await chat.scan("clerk1", SPRITE)
    assert f"扫到 雪碧 1 瓶，不在订单 {ORDER} 上，未计入。订单需要：可乐 0/1" in wrong
    await chat.scan("clerk1", COKE)
    beyond = await chat.scan("clerk1", COKE)
    assert "超过订单数量（可乐 已拣 1 瓶，订单要 1 瓶），未计入" in beyond
    assert "可乐 订 1 瓶：已发 0，未发 1（已扫 1 待发）" in await chat.say(
        "clerk1", f"订单 {ORDER}"
    )


async def test_a_pack_barcode_counts_its_units_and_a_misread_digit_is_refused(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 13")
    await chat.say("clerk1", f"拣货 {ORDER}")
    assert "✓ 可乐 +12 瓶（整包）" in await chat.scan("clerk1", COKE_12)
    assert "条码校验位不对，请重扫" in await chat.scan("clerk1", MISREAD)
    assert "可乐 13/13" in await chat.scan("clerk1", COKE)


async def test_a_weighed_label_picks_its_weight(chat: Chat) -> None:
    await chat.say("clerk1", "入库 红富士苹果 5kg")
    await chat.say("clerk1", "订单 客户张三: 红富士苹果 2kg")
    await chat.say("clerk1", f"拣货 {ORDER}")
    assert "✓ 红富士苹果 +1.25 kg" in await chat.scan("clerk1", APPLE_1250G)
    assert "超过订单数量" in await chat.scan("clerk1", APPLE_1250G)


async def test_a_batch_label_picks_that_batch(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 5 批号 L1 到期 2027-01-31")
    await chat.say("clerk1", "入库 可乐 5 批号 L2 到期 2027-06-30")
    await chat.say("clerk1", "订单 客户张三: 可乐 1")
    started = await chat.say("clerk1", f"拣货 {ORDER}")
    assert "建议先拣 可乐 批号 L1（到期 2027-01-31）" in started
    assert "批号 L2" in await chat.scan("clerk1", batch_label(COKE, "L2"))
    shipped = await chat.say("clerk1", f"发货 {ORDER}")
    assert "可乐 1 瓶 批号 L2" in shipped
    batches = await chat.say("clerk1", "查 可乐")
    assert "批号 L1 到期 2027-01-31 5 瓶" in batches and "批号 L2 到期 2027-06-30 4 瓶" in batches


async def test_partial_shipment_leaves_the_rest_open_and_unscanned_needs_a_manager(
    chat: Chat,
) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2, 雪碧 3")
    await chat.say("clerk1", f"拣货 {ORDER}")
    await chat.scan("clerk1", COKE)
    shipped = await chat.say("clerk1", f"发货 {ORDER}")
    assert (
        "部分发货" in shipped and "可乐 已发 1/2，未发 1" in shipped and "雪碧 已发 0/3" in shipped
    )
    refused = await chat.say("clerk1", f"发货 {ORDER} 全部")
    assert "按规定须扫码拣货" in refused
    forced = await chat.say("mgr1", f"发货 {ORDER} 全部")
    assert "已发货：销售单 XS-20261126-0002" in forced
    assert f"销售订单 {ORDER}（MAIN）已发货" in forced


async def test_ship_refused_while_someone_else_is_picking(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", f"拣货 {ORDER}")
    also = await chat.say("clerk2", f"拣货 {ORDER}")
    assert "小王 也在拣这张订单" in also
    await chat.scan("clerk1", COKE)
    await chat.scan("clerk2", COKE)
    assert "超过订单数量" in await chat.scan("clerk2", COKE)
    refused = await chat.say("clerk1", f"发货 {ORDER}")
    assert "正在由 小张 拣货，不能发货" in refused  # the picker's name, not their WeCom userid
    await chat.say("clerk2", "拣货 结束")
    assert "已发货：销售单" in await chat.say("clerk1", f"发货 {ORDER}")


async def test_cancel_releases_the_reservation_and_later_scans_are_refused(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", f"拣货 {ORDER}")
    assert "已取消" in await chat.say("clerk1", f"取消订单 {ORDER}")
    assert "可用 30 瓶" in await chat.say("clerk1", "查 可乐")
    assert "已取消，扫码未计入" in await chat.scan("clerk1", COKE)


async def test_scan_without_a_session_and_unknown_codes_say_what_to_do(chat: Chat) -> None:
    await _stocked(chat)
    assert "现在没有进行中的拣货" in await chat.scan("clerk1", COKE)
    unknown = await chat.scan("clerk1", UNKNOWN, "scan_query")
    assert f"条码 {UNKNOWN} 不在商品库。请 老板、李姐 登记后再扫" in unknown
    assert "可乐（COKE）" in await chat.scan("clerk1", COKE, "scan_query")
    assert "可乐（COKE）" in await chat.say("clerk1", COKE)
    assert "可乐（COKE）" in await chat.say("clerk1", "COKE")


async def test_query_by_a_registered_code_finds_its_item(chat: Chat) -> None:
    """查 takes the codes 条码 registered, as a scan of them does; an unknown code says so."""
    await _stocked(chat)
    assert "雪碧（SPRITE）" in await chat.say("clerk1", f"查 {SPRITE}")
    assert "可乐（COKE）" in await chat.say("clerk1", f"查 {COKE_12}")
    assert "红富士苹果（APPLE）" in await chat.say("clerk1", f"查 {APPLE_1250G}")
    assert "暂无库存" in await chat.say("clerk1", f"查 {SPRITE} 仓库 B1")
    assert f"没有找到商品“{UNKNOWN}”" in await chat.say("clerk1", f"查 {UNKNOWN}")


async def test_a_bare_barcode_is_a_scan_in_the_open_session(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", f"拣货 {ORDER}")
    assert "可乐 1/2" in await chat.say("clerk1", COKE)


async def test_the_same_scan_delivered_twice_counts_once(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", f"拣货 {ORDER}")
    await chat.scan("clerk1", COKE, key="scan:clerk1:1700000000:scan_pick:EAN_13,x")
    again = await chat.scan("clerk1", COKE, key="scan:clerk1:1700000000:scan_pick:EAN_13,x")
    assert again == ""
    assert "已扫 1 待发" in await chat.say("clerk1", f"订单 {ORDER}")


async def test_session_expires_after_idle_time_with_a_reply(chat: Chat, clock: ManualClock) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", f"拣货 {ORDER}")
    clock.advance(minutes=31)
    expired = await chat.scan("clerk1", COKE)
    assert f"你的拣货（{ORDER}）已 30 分钟无操作，已自动结束" in expired
    assert "现在没有进行中的拣货" in await chat.scan("clerk1", COKE)


async def test_purchase_order_received_short_by_scans(chat: Chat) -> None:
    created = await chat.say("boss", "采购 供应商可口可乐: 可乐 48 @2.1")
    assert f"已建采购订单 {PO}（MAIN）待收货" in created
    assert f"开始收货 采购订单 {PO}" in await chat.say("clerk1", f"收货 {PO}")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    labelled = await chat.scan("clerk1", batch_label(COKE, "L9", "270131"), "scan_receive")
    assert "批号 L9 到期 2027-01-31" in labelled and "可乐 25/48" in labelled
    received = await chat.say("clerk1", f"入库 {PO}")
    assert "已入库：入库单 RK-20261126-0001" in received
    assert "可乐 订 48，收 25（短 23）" in received and "部分收货" in received
    assert "库存：可乐 25 瓶（MAIN）" in received


async def test_over_receipt_beyond_tolerance_waits_for_approval(chat: Chat) -> None:
    await chat.say("boss", "采购 供应商可口可乐: 可乐 12 @2.1")
    await chat.say("clerk1", f"收货 {PO}")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    await chat.scan("clerk1", COKE, "scan_receive")
    waiting = await chat.say("clerk1", f"入库 {PO}")
    assert "需审批后过账" in waiting and "超量收货：可乐 订 12 瓶，收 13 瓶" in waiting


async def test_count_task_done_by_scans(chat: Chat, clock: ManualClock) -> None:
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # early in the month: the full count
    await chat.say("clerk1", "入库 可乐 3, 雪碧 2")
    tasks = await chat.say("clerk1", "盘点任务")
    assert "饮料（月度全盘 2026-12）已扫 0/2 种" in tasks
    started = await chat.say("clerk1", "盘点 饮料")
    assert "开始盘点 饮料" in started
    await chat.scan("clerk1", COKE, "scan_count")
    counted = await chat.scan("clerk1", COKE, "scan_count")
    assert "可乐 已数 2 瓶" in counted
    done = await chat.say("clerk1", "盘点 完成")
    assert "盘点 饮料 完成：盘点单 PD-20261201-0001" in done
    assert "未扫到、按 0 计：雪碧" in done
    assert "库存：可乐 2 瓶（MAIN），雪碧 0 瓶（MAIN）" in done
    assert "没有待盘点的任务" in await chat.say("clerk1", "盘点任务")


async def test_without_scan_required_a_clerk_may_ship_unscanned_lines(
    chat: Chat, uow: UnitOfWork
) -> None:
    await in_transaction(uow, lambda u: orders.set_rules(u, "test", "MAIN", scan_required=False))
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    shipped = await chat.say("clerk1", f"发货 {ORDER} 全部")
    assert "已发货：销售单 XS-20261126-0001" in shipped and "可乐 已发 2/2" in shipped


async def test_over_receipt_within_tolerance_posts_at_once(chat: Chat, uow: UnitOfWork) -> None:
    await in_transaction(
        uow,
        lambda u: orders.set_rules(u, "test", "MAIN", over_receipt_tolerance=Decimal("0.1")),
    )
    await chat.say("boss", "采购 供应商可口可乐: 可乐 12 @2.1")
    await chat.say("clerk1", f"收货 {PO}")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    await chat.scan("clerk1", COKE, "scan_receive")
    received = await chat.say("clerk1", f"入库 {PO}")
    assert "已入库：入库单" in received and "可乐 订 12，收 13（超 1）" in received


async def test_an_approved_over_receipt_is_posted(chat: Chat) -> None:
    await chat.say("boss", "采购 供应商可口可乐: 可乐 12 @2.1")
    await chat.say("clerk1", f"收货 {PO}")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    await chat.scan("clerk1", COKE, "scan_receive")
    waiting = await chat.say("clerk1", f"入库 {PO}")
    approval = waiting.split("审批单 ")[1].split(" ")[0]
    assert "已批准" in await chat.say("mgr1", f"批准 {approval}")
    assert "MAIN：现有 13 瓶" in await chat.say("clerk1", "查 可乐")


async def test_count_variance_over_the_threshold_waits_for_approval(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 200")
    await chat.say("clerk1", "盘点 饮料")
    await chat.scan("clerk1", COKE, "scan_count")
    done = await chat.say("clerk1", "盘点 完成")
    assert "盘点 饮料 完成：盘点单 PD-20261126-0001" in done
    assert "需审批后过账" in done and "盘点差异金额" in done


async def test_menu_help_button_lists_the_commands(chat: Chat) -> None:
    helped = await chat.send(
        Inbound(userid="clerk1", kind="menu_click", key="menu:1", event_key="help")
    )
    assert "拣货/pick" in helped and "发货/ship" in helped


async def test_orders_of_today_list_their_progress(chat: Chat) -> None:
    await _stocked(chat)
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", "订单 客户李四: 雪碧 1")
    listed = await chat.say("clerk1", "订单 今天")
    assert "今天的订单（2 张）" in listed
    assert f"{ORDER} 待发货 张三 可乐 0/2" in listed
    assert "未完成的订单（2 张）" in await chat.say("clerk1", "订单")
    mine = await chat.say("clerk1", "订单 今天 客户 李四")
    assert "今天的订单（客户 李四）（1 张）" in mine and "雪碧 0/1" in mine and "可乐" not in mine


async def test_manager_registers_a_pack_barcode_and_clerks_may_not(chat: Chat) -> None:
    refused = await chat.say("clerk1", "条码 雪碧 6901234567991 24")
    assert "店长" in refused
    added = await chat.say("mgr1", "条码 雪碧 6901234567991 24")
    assert "已登记：条码 6901234567991 → 雪碧 每包 24 瓶" in added
    assert "条码 6901234567991 已属于 雪碧" in await chat.say("mgr1", "条码 可乐 6901234567991")
    assert "条码校验位不对" in await chat.say("mgr1", "条码 可乐 6901234567990")


async def test_orders_refuse_bad_input_with_an_example(chat: Chat) -> None:
    assert "例如：拣货 DD-20261201-0001" in await chat.say("clerk1", "拣货 可乐")
    assert "没有销售订单 DD-20261126-0009" in await chat.say("clerk1", "拣货 DD-20261126-0009")
    assert "订单数量必须大于 0" in await chat.say("clerk1", "订单 客户张三: 可乐 -1")
    assert "还没有扫码拣货的商品" in await _ordered_then(chat, f"发货 {ORDER}")
    assert await chat.document_numbers() == []


async def _ordered_then(chat: Chat, text: str) -> str:
    await chat.say("clerk1", "订单 客户张三: 可乐 1")
    return await chat.say("clerk1", text)


async def _unscanned_shipment_waiting(chat: Chat) -> str:
    """A manager ships an unscanned order beyond the stock: the sale waits for approval."""
    await chat.say("clerk1", "入库 可乐 1")
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    waiting = await chat.say("mgr1", f"发货 {ORDER} 全部")
    assert "需审批后过账" in waiting
    return waiting.split("审批单 ")[1].split(" ")[0]


async def test_a_rejected_unscanned_shipment_leaves_the_order_line_open_to_ship_again(
    chat: Chat,
) -> None:
    approval = await _unscanned_shipment_waiting(chat)
    assert "已全部发货" in await chat.say("mgr1", f"发货 {ORDER} 全部")  # shipped once only
    assert "已驳回" in await chat.say("boss", f"驳回 {approval} 库存不够")
    detail = await chat.say("clerk1", f"订单 {ORDER}")
    assert "可乐 订 2 瓶：已发 0，未发 2" in detail
    again = await chat.say("mgr1", f"发货 {ORDER} 全部")
    assert "需审批后过账" in again


async def test_an_expired_unscanned_shipment_leaves_the_order_line_open(
    chat: Chat, uow: UnitOfWork, clock: ManualClock
) -> None:
    await _unscanned_shipment_waiting(chat)
    clock.now += timedelta(hours=uow.settings.approval_ttl_hours + 1)
    assert len(await in_transaction(uow, approvals.expire_due)) == 1
    assert "可乐 订 2 瓶：已发 0，未发 2" in await chat.say("clerk1", f"订单 {ORDER}")


async def test_an_approved_unscanned_shipment_counts_as_shipped(chat: Chat) -> None:
    approval = await _unscanned_shipment_waiting(chat)
    assert "已批准" in await chat.say("boss", f"批准 {approval}")
    detail = await chat.say("clerk1", f"订单 {ORDER}")
    assert "可乐 订 2 瓶：已发 2，未发 0" in detail
    assert "已全部发货" in await chat.say("mgr1", f"发货 {ORDER} 全部")


async def test_a_rejected_over_receipt_leaves_the_purchase_order_line_open(chat: Chat) -> None:
    await chat.say("boss", "采购 供应商可口可乐: 可乐 12 @2.1")
    await chat.say("clerk1", f"收货 {PO}")
    await chat.scan("clerk1", COKE_12, "scan_receive")
    await chat.scan("clerk1", COKE, "scan_receive")
    waiting = await chat.say("clerk1", f"入库 {PO}")
    approval = waiting.split("审批单 ")[1].split(" ")[0]
    assert "已驳回" in await chat.say("mgr1", f"驳回 {approval} 多收了")
    detail = await chat.say("clerk1", f"订单 {PO}")
    assert "可乐 订 12 瓶：已收 0，未收 12" in detail
    assert "可乐 0/12" in await chat.say("clerk1", f"收货 {PO}")


async def test_a_withdrawn_unscanned_shipment_leaves_the_order_line_open(chat: Chat) -> None:
    approval = await _unscanned_shipment_waiting(chat)
    assert "已撤回" in await chat.say("mgr1", f"撤回 {approval}")
    assert "可乐 订 2 瓶：已发 0，未发 2" in await chat.say("clerk1", f"订单 {ORDER}")
