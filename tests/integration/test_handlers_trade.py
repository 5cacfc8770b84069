"""Transcripts of goods in and out by chat: 入库, 销售, 退货, 采购退货, 查; identity and replays."""

from __future__ import annotations

import pytest

from core import catalog, ledger
from core.common import Posted
from core.storage import UnitOfWork, in_transaction
from handlers.inbound import Inbound
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import seed_shop


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    return chat_factory(uow)


async def test_clerk_receives_sells_and_sees_remaining_stock(chat: Chat) -> None:
    received = await chat.say("clerk1", "入库 可乐 24")
    assert "已过账 入库单 RK-20261126-0001" in received
    assert "库存：可乐 24 瓶（MAIN）" in received
    sold = await chat.say("clerk1", "销售 可乐 2")
    assert "销售单 XS-20261126-0001" in sold and "合计 ¥7.00" in sold
    assert "库存：可乐 22 瓶（MAIN）" in sold
    stock = await chat.say("clerk1", "查 可乐")
    assert "MAIN：现有 22 瓶，可用 22 瓶" in stock


async def test_multi_line_sale_with_customer_lists_lines_total_and_stock(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 10, 雪碧 10")
    reply = await chat.say("clerk1", "销售 客户张三: 可乐 2 @4, 雪碧 3")
    assert "客户：张三" in reply
    assert "可乐 2 瓶 × ¥4.00 = ¥8.00" in reply
    assert "雪碧 3 瓶 × ¥3.50 = ¥10.50" in reply
    assert "合计 ¥18.50" in reply
    assert "库存：可乐 8 瓶（MAIN），雪碧 7 瓶（MAIN）" in reply


async def test_a_price_below_a_cent_reads_as_written_and_the_total_in_cents(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 10")
    reply = await chat.say("clerk1", "销售 可乐 3 @0.0035")
    assert "可乐 3 瓶 × ¥0.0035 = ¥0.01" in reply
    assert "合计 ¥0.01" in reply


async def test_sale_beyond_stock_opens_an_approval_with_the_numbers(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 3")
    reply = await chat.say("clerk1", "销售 可乐 5")
    assert "销售单 XS-20261126-0001 已提交，需审批后过账" in reply
    assert "库存不足：可乐 现有 3 瓶，需要 5 瓶" in reply
    assert "审批单 SP-20261126-0001" in reply
    assert "MAIN：现有 3 瓶，可用 -2 瓶（待审批占用 5 瓶）" in await chat.say("clerk1", "查 可乐")


async def test_sale_beyond_stock_is_refused_where_negative_stock_is_forbidden(chat: Chat) -> None:
    await in_transaction(
        chat.uow,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="forbid"),
    )
    await chat.say("clerk1", "入库 可乐 3")
    reply = await chat.say("clerk1", "销售 可乐 5")
    assert "库存不足：可乐 现有 3 瓶，需要 5 瓶。请先入库，或减少数量" in reply
    assert await chat.document_numbers() == ["RK-20261126-0001"]


async def test_negative_sale_by_clerk_awaits_approval(chat: Chat) -> None:
    reply = await chat.say("clerk1", "销售 可乐 -1")
    assert "需审批" in reply and "店员的退货/负数销售需店长审批" in reply


async def test_clerk_return_awaits_approval_and_manager_return_goes_to_original(
    chat: Chat,
) -> None:
    await chat.say("clerk1", "入库 鲜牛奶 5 批号 L1 到期 2026-11-30")
    await chat.say("clerk1", "入库 鲜牛奶 5 批号 L2 到期 2026-12-09")
    await chat.say("clerk1", "销售 鲜牛奶 2 客户 张三")
    clerk = await chat.say("clerk1", "退货 鲜牛奶 1 客户 张三")
    assert "销售退货单 XT-20261126-0001 已提交，需审批后过账" in clerk
    manager = await chat.say("mgr1", "退货 鲜牛奶 1 客户 张三 原单 xs-20261126-0001")
    assert "已过账 销售退货单 XT-20261126-0002" in manager
    stock = await chat.say("mgr1", "查 鲜牛奶")
    assert "批号 L1 到期 2026-11-30 4 盒" in stock


async def test_return_against_a_document_that_is_no_sale_is_refused(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 5")
    reply = await chat.say("mgr1", "退货 可乐 1 原单 RK-20261126-0001")
    assert "原单 RK-20261126-0001 不是已过账的销售单" in reply


async def test_a_return_of_more_than_the_original_sale_still_holds_is_refused(
    chat: Chat,
) -> None:
    """30 back against a sale of 24 would credit the customer and the shelf for 6 never sold."""
    await chat.say("clerk1", "入库 可乐 30")
    await chat.say("clerk1", "销售 可乐 3 客户 张三")  # XS-…-0001
    too_many = await chat.say("mgr1", "退货 可乐 4 客户 张三 原单 XS-20261126-0001")
    assert "原单 XS-20261126-0001 卖出 可乐 3 瓶，已退 0 瓶，最多还能退 3 瓶" in too_many
    assert "已过账" not in too_many
    assert "已过账 销售退货单" in await chat.say("mgr1", "退货 可乐 2 原单 XS-20261126-0001")
    # A clerk's return waits for approval, and what waits counts as returned already.
    pending = await chat.say("clerk1", "退货 可乐 1 原单 XS-20261126-0001")
    assert "需审批后过账" in pending
    again = await chat.say("mgr1", "退货 可乐 1 原单 XS-20261126-0001")
    assert "卖出 可乐 3 瓶，已退 3 瓶，最多还能退 0 瓶" in again
    assert await chat.document_numbers() == [
        "RK-20261126-0001", "XS-20261126-0001", "XT-20261126-0001", "XT-20261126-0002",
    ]  # fmt: skip


async def test_purchaser_receives_and_returns_to_the_supplier(chat: Chat) -> None:
    await chat.add_user("buyer1", "purchaser", "MAIN")
    received = await chat.say("buyer1", "入库 可乐 24 单价2.5 供应商 可口可乐")
    assert "供应商：可口可乐" in received and "可乐 24 瓶 × ¥2.50 = ¥60.00" in received
    returned = await chat.say("buyer1", "采购退货 可乐 4 供应商 可口可乐")
    assert "已过账 采购退货单 CT-20261126-0001" in returned
    assert "库存：可乐 20 瓶（MAIN）" in returned


async def test_receive_with_lot_expiry_unit_and_another_warehouse(chat: Chat) -> None:
    reply = await chat.say("boss", "入库 红富士苹果 1.5kg 批号 A1 到期 2026-12-03 仓库 b1")
    assert "红富士苹果 1.5 kg 批号 A1 到期 2026-12-03" in reply
    assert "库存：红富士苹果 1.5 kg（B1）" in reply
    stock = await chat.say("boss", "查 APPLE 仓库 B1")
    assert "B1：现有 1.5 kg" in stock and "批号 A1 到期 2026-12-03 1.5 kg" in stock


async def test_full_width_and_glued_input_reads_like_ascii(chat: Chat) -> None:
    reply = await chat.say("clerk1", "入库可乐２４瓶　单价￥２．５")
    assert "可乐 24 瓶 × ¥2.50 = ¥60.00" in reply
    reply = await chat.say("clerk1", "SELL 可乐2　＠3，可乐 1")
    assert "可乐 2 瓶 × ¥3.00 = ¥6.00" in reply and "可乐 1 瓶 × ¥3.50" in reply


async def test_stock_by_barcode_shows_batches_and_expired_ones(chat: Chat) -> None:
    await chat.say("clerk1", "入库 鲜牛奶 3 批号 OLD 到期 2026-11-25")
    await chat.say("clerk1", "入库 可乐 6")
    assert "批号 OLD 到期 2026-11-25 3 盒（已过期）" in await chat.say("clerk1", "查 鲜牛奶")
    assert "可乐（COKE）售价 ¥3.50" in await chat.say("audit", "查 6901234567890")


async def test_stock_of_an_item_never_received(chat: Chat) -> None:
    assert "暂无库存" in await chat.say("clerk1", "查 雪碧")


async def test_same_message_delivered_twice_posts_once_and_is_answered_once(chat: Chat) -> None:
    first = await chat.say("clerk1", "入库 可乐 24", key="msg:777")
    again = await chat.say("clerk1", "入库 可乐 24", key="msg:777")
    assert "RK-20261126-0001" in first
    assert again == ""
    assert await chat.document_numbers() == ["RK-20261126-0001"]
    assert await chat.outbox_count() == 1


async def test_ledger_request_carries_the_inbox_key(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 24", key="msg:42")
    replay = await in_transaction(chat.uow, lambda u: ledger.replay_of(u, "msg:42"))
    assert isinstance(replay, Posted) and replay.document.number == "RK-20261126-0001"


async def test_unknown_user_gets_one_polite_refusal_and_nothing_changes(chat: Chat) -> None:
    reply = await chat.say("stranger", "入库 可乐 24")
    assert reply.count("请联系管理员开通") == 1
    assert await chat.document_numbers() == []
    assert await chat.outbox_count() == 1


async def test_inactive_user_is_refused_like_an_unknown_one(chat: Chat) -> None:
    await chat.add_user("gone", "clerk", "MAIN", active=False)
    assert "请联系管理员开通" in await chat.say("gone", "查 可乐")


async def test_non_text_message_gets_the_help_hint(chat: Chat) -> None:
    reply = await chat.send(Inbound(userid="clerk1", kind="other", key="evt:1"))
    assert "帮助" in reply


async def test_unknown_command_points_to_help(chat: Chat) -> None:
    assert "看不懂“你好”" in await chat.say("clerk1", "你好")
    assert "帮助" in await chat.say("clerk1", "")


async def test_unexpected_errors_propagate_and_nothing_is_answered(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger, "stock_of", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await chat.say("clerk1", "查 可乐")
    assert await chat.outbox_count() == 0


async def test_a_reply_longer_than_wecom_allows_arrives_in_parts(
    chat: Chat, uow: UnitOfWork
) -> None:
    from core.storage import Item

    async def long_names(u: UnitOfWork) -> None:
        for n in range(6):
            u.session.add(Item(sku=f"LONG{n}", name=f"长名商品{n}" + "特" * 150, unit="个"))

    await in_transaction(uow, long_names)
    order = ", ".join(f"LONG{n} 1" for n in range(6))
    reply = await chat.say("mgr1", f"入库 {order}")
    assert "（续 2/" in reply
    assert reply.count("长名商品") >= 6


async def test_stock_reply_lists_the_unbatched_negative_line_so_lines_add_up(chat: Chat) -> None:
    await chat.say("clerk1", "销售 鲜牛奶 4")
    await chat.say("mgr1", "批准 SP-20261126-0001")
    await chat.say("clerk1", "入库 鲜牛奶 9 批号 CRO1128 到期 2026-12-03")
    stock = await chat.say("clerk1", "查 鲜牛奶")
    assert "MAIN：现有 5 盒，可用 5 盒" in stock
    lines = [line for line in stock.splitlines() if line.startswith("  · ")]
    assert lines == [
        "  · 批号 CRO1128 到期 2026-12-03 9 盒",
        "  · 无批次 -4 盒（卖出多于登记入库，请盘点或补登入库）",
    ]


async def test_stock_reply_of_unbatched_stock_alone_lists_no_lines(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 6")
    stock = await chat.say("clerk1", "查 可乐")
    assert "MAIN：现有 6 瓶，可用 6 瓶" in stock and "·" not in stock
