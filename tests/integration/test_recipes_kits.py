"""Kits backflush on sale, FEFO, by chat, by a multi-line sale and by imported POS history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import catalog, importer
from core.common import ImportFailed
from core.storage import UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import run
from tests.support.recipes import (
    assert_ledger_sound,
    batches_of,
    import_substitutes,
    on_hand,
    seed_kitchen,
    write_csv,
)


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_kitchen(uow, tmp_path)
    return chat_factory(uow)


async def test_selling_a_kit_consumes_its_components_fefo(chat: Chat, uow: UnitOfWork) -> None:
    await chat.say("clerk1", "入库 鸡肉 1 到期 2026-12-10")
    await chat.say("clerk1", "入库 鸡肉 5 到期 2026-11-28")
    await chat.say("clerk1", "入库 花生 2")
    reply = await chat.say("clerk1", "销售 宫保鸡丁 6")
    assert "已过账 销售单 XS-20261126-0001" in reply
    assert "宫保鸡丁 6 份 × ¥38.00 = ¥228.00" in reply
    assert "库存：鸡肉 4.8 kg（MAIN），花生 1.7 kg（MAIN）" in reply
    # The batch expiring first gave its 1.2 kg; the later one is untouched.
    assert await batches_of(uow, "CHICKEN") == {
        "E20261210": Decimal(1),
        "E20261128": Decimal("3.8"),
    }
    assert await on_hand(uow, "KUNGPAO") == 0
    await assert_ledger_sound(uow)


async def test_a_kit_in_a_multi_line_sale_backflushes_beside_plain_items(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "入库 鸡肉 2, 花生 1, 可乐 10")
    reply = await chat.say("clerk1", "销售 宫保鸡丁 2, 可乐 3")
    assert "库存：鸡肉 1.6 kg（MAIN），花生 0.9 kg（MAIN），可乐 7 瓶（MAIN）" in reply
    await assert_ledger_sound(uow)


async def test_selling_a_kit_short_of_a_component_follows_the_negative_stock_policy(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "入库 鸡肉 0.3, 花生 1")
    reply = await chat.say("clerk1", "销售 宫保鸡丁 2")
    assert "需审批后过账" in reply
    assert "库存不足：鸡肉 现有 0.3 kg，需要 0.4 kg" in reply
    approved = await chat.say("mgr1", "批准 SP-20261126-0001")
    assert "已批准" in approved
    assert await on_hand(uow, "CHICKEN") == Decimal("-0.1")
    await assert_ledger_sound(uow)


async def test_a_dish_awaiting_approval_holds_its_ingredients_in_stock_replies(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "入库 鸡肉 0.3, 花生 1")
    assert "需审批后过账" in await chat.say("clerk1", "销售 宫保鸡丁 2")
    peanut = await chat.say("clerk1", "查 花生")
    assert "MAIN：现有 1 kg，可用 0.9 kg（待审批占用 0.1 kg）" in peanut
    assert "MAIN：现有 0.3 kg，可用 -0.1 kg（待审批占用 0.4 kg）" in await chat.say(
        "clerk1", "查 鸡肉"
    )
    # Where the kitchen works by issue the sale will take nothing: it holds nothing either.
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "test", "MAIN", kit_consumption="issue")
    )
    assert "待审批占用" not in await chat.say("clerk1", "查 花生")
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "test", "MAIN", kit_consumption="backflush")
    )
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    peanut = await chat.say("clerk1", "查 花生")
    assert "MAIN：现有 0.9 kg，可用 0.9 kg" in peanut and "待审批占用" not in peanut
    await assert_ledger_sound(uow)


async def test_a_kit_is_never_received_counted_or_written_off(chat: Chat, uow: UnitOfWork) -> None:
    for text in ("入库 宫保鸡丁 3", "盘点 宫保鸡丁 3", "报损 宫保鸡丁 1", "领用 宫保鸡丁 1 厨房"):
        reply = await chat.say("mgr1", text)
        assert "宫保鸡丁 是套餐/菜品，不入库" in reply, text
        assert "例如：销售 宫保鸡丁 1" in reply
    assert await chat.document_numbers() == []


async def test_a_kit_without_a_recipe_cannot_be_sold(chat: Chat, tmp_path: Path) -> None:
    items = write_csv(
        tmp_path / "more.csv", ("sku", "name", "unit", "kind"), [("GIFT", "礼盒", "盒", "kit")]
    )
    await run(chat.uow, lambda u: importer.import_items(u, items, "test"))
    reply = await chat.say("clerk1", "销售 礼盒 1")
    assert "礼盒 还没有配方，无法扣减原料" in reply
    assert await chat.document_numbers() == []


async def test_imported_pos_history_backflushes_kits(
    chat: Chat, uow: UnitOfWork, tmp_path: Path, clock: ManualClock
) -> None:
    clock.advance(days=1)
    await chat.say("clerk1", "入库 鸡肉 10, 花生 5")
    history = write_csv(
        tmp_path / "pos.csv",
        ("doc_no", "type", "posted_at", "warehouse", "user", "sku", "qty", "price"),
        [
            ("POS-1", "sale", "2026-11-27T12:00:00", "MAIN", "pos", "KUNGPAO", "4", "38"),
            ("POS-2", "sale", "2026-11-27T12:30:00", "MAIN", "pos", "KUNGPAO", "-1", "38"),
        ],
    )
    assert await run(uow, lambda u: importer.import_documents(u, history, "test")) == 2
    # 4 sold, 1 sold back: 3 × 0.2 kg and 3 × 0.05 kg left the shelf.
    assert await on_hand(uow, "CHICKEN") == Decimal("9.4")
    assert await on_hand(uow, "PEANUT") == Decimal("4.85")
    await assert_ledger_sound(uow)


async def test_a_short_component_of_a_dish_is_substituted_by_priority_and_ratio(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(
        uow,
        tmp_path / "subs.csv",
        [("CHICKEN", "PEANUT", "9", "2", "no"), ("CHICKEN", "DUCK", "1.25", "1", "no")],
    )
    await chat.say("clerk1", "入库 鸡肉 0.5, 鸭肉 0.25, 花生 5")
    reply = await chat.say("clerk1", "销售 宫保鸡丁 5")
    # 1 kg of chicken needed: 0.5 on hand, duck (priority 1) 0.25 kg for 0.2 at 1.25 : 1,
    # then peanuts (priority 2) 2.7 kg for the last 0.3 at 9 : 1.
    assert "替代：鸭肉 0.25 kg 代替 鸡肉 0.2 kg" in reply
    assert "替代：花生 2.7 kg 代替 鸡肉 0.3 kg" in reply
    assert "已过账 销售单" in reply
    assert await on_hand(uow, "CHICKEN") == 0
    assert await on_hand(uow, "DUCK") == 0
    assert await on_hand(uow, "PEANUT") == Decimal("2.05")  # 5 − 2.7 − 5 × 0.05
    await assert_ledger_sound(uow)


async def test_a_dish_needing_an_approved_substitute_waits_for_a_manager(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(uow, tmp_path / "subs.csv", [("CHICKEN", "DUCK", "1", "1", "yes")])
    await chat.say("clerk1", "入库 鸭肉 1, 花生 1")
    reply = await chat.say("clerk1", "销售 宫保鸡丁 2")
    assert "需审批后过账" in reply
    assert "以 鸭肉 0.4 kg 替代 鸡肉 0.4 kg（该替代需审批）" in reply
    assert await on_hand(uow, "DUCK") == 1
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    assert await on_hand(uow, "DUCK") == Decimal("0.6")
    await assert_ledger_sound(uow)


async def test_an_item_with_stock_cannot_become_a_kit(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await chat.say("clerk1", "入库 可乐 5")
    path = write_csv(tmp_path / "kind.csv", ("sku", "name", "kind"), [("COKE", "可乐", "kit")])
    with pytest.raises(ImportFailed) as failed:
        await run(uow, lambda u: importer.import_items(u, path, "test"))
    assert "第 2 行：COKE 还有库存，不能改为 kit（套餐不计库存）；请先盘点或报损清零" in (
        failed.value.errors
    )
    await chat.say("clerk1", "盘点 可乐 0")
    await run(uow, lambda u: importer.import_items(u, path, "test"))
    assert "可乐 还没有配方" in await chat.say("clerk1", "销售 可乐 1")


async def test_a_kit_ordered_holds_its_components_and_shipped_backflushes_them_fefo(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "入库 鸡肉 1 到期 2026-12-10")
    await chat.say("clerk1", "入库 鸡肉 5 到期 2026-11-28")
    await chat.say("clerk1", "入库 花生 2")
    created = await chat.say("clerk1", "订单 客户张三: 宫保鸡丁 6")
    assert "已建销售订单 DD-20261126-0001（MAIN）待发货" in created
    assert await on_hand(uow, "CHICKEN") == 6  # an order moves nothing
    # but holds what its dishes will take
    held = await chat.say("clerk1", "查 鸡肉")
    assert "MAIN：现有 6 kg，可用 4.8 kg（订单占用 1.2 kg）" in held
    shipped = await chat.say("mgr1", "发货 DD-20261126-0001 全部")
    assert "已发货：销售单 XS-20261126-0001" in shipped
    assert "销售订单 DD-20261126-0001（MAIN）已发货" in shipped
    assert "订单占用" not in await chat.say("clerk1", "查 鸡肉")
    # The batch expiring first gave the 1.2 kg the six dishes take.
    assert await batches_of(uow, "CHICKEN") == {
        "E20261210": Decimal(1),
        "E20261128": Decimal("3.8"),
    }
    assert await on_hand(uow, "PEANUT") == Decimal("1.7")
    await assert_ledger_sound(uow)


async def test_a_kit_shipped_where_the_kitchen_works_by_issue_moves_no_stock(
    chat: Chat, uow: UnitOfWork
) -> None:
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "test", "MAIN", kit_consumption="issue")
    )
    await chat.say("clerk1", "入库 鸡肉 5, 花生 2")
    await chat.say("clerk1", "订单 客户张三: 宫保鸡丁 6")
    assert "订单占用" not in await chat.say("clerk1", "查 鸡肉")
    shipped = await chat.say("mgr1", "发货 DD-20261126-0001 全部")
    assert "已发货：销售单 XS-20261126-0001" in shipped
    assert (await on_hand(uow, "CHICKEN"), await on_hand(uow, "PEANUT")) == (5, 2)
    await assert_ledger_sound(uow)
