"""BOM imports: all or nothing with line-numbered errors, versions over time that documents
keep, cycles refused; substitution rules; 配方 in chat.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import catalog, importer
from core.common import ImportFailed
from core.recipes import Bom, SubstituteRule, usage
from core.storage import Item, UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import run
from tests.support.recipes import (
    assert_ledger_sound,
    import_bom,
    import_substitutes,
    on_hand,
    seed_kitchen,
    write_csv,
)


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_kitchen(uow, tmp_path)
    return chat_factory(uow)


async def bom_count(uow: UnitOfWork) -> int:
    return int(await run(uow, lambda u: u.session.scalar(select(func.count(Bom.id)))) or 0)


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    before = await bom_count(uow)
    with pytest.raises(ImportFailed) as failed:
        await import_bom(
            uow,
            tmp_path / "bad.csv",
            [
                ("BREAD", "FLOUR", "0.3", "1"),
                ("BREAD", "NOPE", "1", "0"),
                ("BREAD", "EGG", "0", "0"),
                ("KUNGPAO", "DUCK", "-0.1", "0"),
                ("CHICKEN", "PEANUT", "1", "0"),
                ("BREAD", "KUNGPAO", "1", "0"),
                ("KUNGPAO", "PEANUT", "1", "120"),
            ],
        )
    errors = failed.value.errors
    assert "第 3 行：component_sku NOPE 不存在，请先用 jxc import items 导入商品" in errors
    assert "第 4 行：qty 必须大于 0（收到 0）" in errors
    assert "第 5 行：qty 必须大于 0（收到 -0.1）" in errors
    assert any(e.startswith("第 6 行：CHICKEN 的 kind 是 stock") for e in errors)
    assert "第 7 行：KUNGPAO 是套餐（kit），不能作为原料" in errors
    assert "第 8 行：scrap_pct 应在 0 到 100 之间（收到 120）" in errors
    assert await bom_count(uow) == before


async def test_a_product_containing_itself_through_another_is_refused(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_bom(uow, tmp_path / "dough.csv", [("DOUGH", "FLOUR", "1", "0")])
    before = await bom_count(uow)
    with pytest.raises(ImportFailed) as failed:
        await import_bom(
            uow,
            tmp_path / "loop.csv",
            [("BREAD", "DOUGH", "0.3", "0"), ("DOUGH", "BREAD", "0.1", "0")],
        )
    assert "第 2 行：配方循环：BREAD → DOUGH → BREAD（产品不能直接或间接包含自己）" in (
        failed.value.errors
    )
    with pytest.raises(ImportFailed) as itself:
        await import_bom(uow, tmp_path / "self.csv", [("DOUGH", "DOUGH", "1", "0")])
    assert "第 2 行：配方循环：DOUGH 不能包含自己" in itself.value.errors
    assert await bom_count(uow) == before


async def test_a_new_version_applies_from_its_date_and_old_sales_keep_theirs(
    chat: Chat, uow: UnitOfWork, tmp_path: Path, clock: ManualClock
) -> None:
    await chat.say("clerk1", "入库 鸡肉 10, 花生 5")
    await chat.say("clerk1", "销售 宫保鸡丁 10")  # version 1: 0.2 kg chicken each
    assert await on_hand(uow, "CHICKEN") == 8
    clock.advance(days=1)
    result = await import_bom(
        uow,
        tmp_path / "v2.csv",
        [("KUNGPAO", "CHICKEN", "0.25", "0"), ("KUNGPAO", "PEANUT", "0.05", "0")],
    )
    assert result.valid_from == clock.now
    clock.advance(hours=1)
    await chat.say("clerk1", "销售 宫保鸡丁 4")  # version 2: 0.25 kg each
    assert await on_hand(uow, "CHICKEN") == 7
    shown = await chat.say("clerk1", "配方 宫保鸡丁")
    assert "第 2 版" in shown and "（共 2 版）" in shown and "- 鸡肉 0.25 kg" in shown
    # A version starting before sales already made under the old one would rewrite them.
    with pytest.raises(ImportFailed) as failed:
        await import_bom(
            uow,
            tmp_path / "v3.csv",
            [("KUNGPAO", "CHICKEN", "0.3", "0")],
            valid_from=datetime(2026, 11, 26, tzinfo=UTC),
        )
    assert "新版本不能更早" in failed.value.errors[0]
    await assert_ledger_sound(uow)


async def test_a_dish_sale_approved_after_a_new_version_keeps_the_version_it_was_made_with(
    chat: Chat, uow: UnitOfWork, tmp_path: Path, clock: ManualClock
) -> None:
    await chat.say("clerk1", "入库 鸡肉 0.3, 花生 5")
    assert "需审批后过账" in await chat.say("clerk1", "销售 宫保鸡丁 2")  # v1 needs 0.4 kg
    clock.advance(hours=2)
    await import_bom(
        uow,
        tmp_path / "v2.csv",
        [("KUNGPAO", "CHICKEN", "0.25", "0"), ("KUNGPAO", "PEANUT", "0.05", "0")],
    )
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    assert await on_hand(uow, "CHICKEN") == Decimal("-0.1")  # 2 × 0.2 kg, not 2 × 0.25
    await assert_ledger_sound(uow)


async def test_usage_reads_each_issue_kitchen_sale_with_the_version_it_was_made_with(
    chat: Chat, uow: UnitOfWork, tmp_path: Path, clock: ManualClock
) -> None:
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "test", "MAIN", kit_consumption="issue")
    )
    start = clock.now
    await chat.say("clerk1", "销售 宫保鸡丁 10")  # version 1: 0.2 kg chicken each
    clock.advance(days=1)
    await import_bom(
        uow,
        tmp_path / "v2.csv",
        [("KUNGPAO", "CHICKEN", "0.25", "0"), ("KUNGPAO", "PEANUT", "0.05", "0")],
    )
    clock.advance(hours=1)
    await chat.say("clerk1", "销售 宫保鸡丁 4")  # version 2: 0.25 kg each
    sent_back = await chat.say("mgr1", "销售 宫保鸡丁 -1")  # one sent back: version 2 again
    assert "已过账" in sent_back, sent_back
    rows = await run(uow, lambda u: usage.usage(u, start, clock.now + timedelta(hours=1)))
    theory = {r.sku: r.theoretical for r in rows}
    assert theory == {"CHICKEN": Decimal("2.75"), "PEANUT": Decimal("0.65")}
    assert await on_hand(uow, "CHICKEN") == 0  # the sales moved nothing
    await assert_ledger_sound(uow)


async def test_a_backdated_version_is_refused_when_documents_used_the_old_one(
    chat: Chat, uow: UnitOfWork, tmp_path: Path, clock: ManualClock
) -> None:
    await import_bom(
        uow,
        tmp_path / "dough.csv",
        [("DOUGH", "FLOUR", "1", "0")],
        valid_from=datetime(2026, 11, 1, tzinfo=UTC),
    )
    await chat.say("clerk1", "入库 面粉 10")
    await chat.say("clerk1", "生产 面团 2")
    with pytest.raises(ImportFailed) as failed:
        await import_bom(
            uow,
            tmp_path / "dough2.csv",
            [("DOUGH", "FLOUR", "1.1", "0")],
            valid_from=datetime(2026, 11, 20, tzinfo=UTC),
        )
    assert "已有单据按旧配方过账" in failed.value.errors[0]


async def test_recipe_in_chat_shows_scrap_substitutes_and_cost(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(uow, tmp_path / "subs.csv", [("FLOUR", "STRONG", "1", "1", "no")])
    reply = await chat.say("clerk1", "配方 面包")
    assert "配方：面包（自制品，每 1 个）第 1 版" in reply
    assert "- 面粉 0.25 kg，损耗 2%（含损耗 0.255 kg）；替代：高筋粉×1" in reply
    assert "- 鸡蛋 1 个，损耗 5%（含损耗 1.05 个）" in reply
    # 0.255 × ¥4 + 1.05 × ¥0.8
    assert "原料成本 ¥1.86 / 个" in reply
    assert "面团 还没有配方" in await chat.say("clerk1", "配方 面团")
    assert "请写出菜品或产品名称，例如：配方 宫保鸡丁" in await chat.say("clerk1", "配方")


async def test_bad_substitution_rules_are_refused_by_line(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    with pytest.raises(ImportFailed) as failed:
        await import_substitutes(
            uow,
            tmp_path / "subs.csv",
            [
                ("FLOUR", "FLOUR", "1", "1", "no"),
                ("FLOUR", "NOPE", "1", "1", "no"),
                ("FLOUR", "STRONG", "0", "1", "no"),
                ("FLOUR", "WHOLE", "1", "x", "maybe"),
            ],
        )
    errors = failed.value.errors
    assert "第 2 行：FLOUR 不能替代自己" in errors
    assert "第 3 行：substitute_sku NOPE 不存在，请先导入商品" in errors
    assert "第 4 行：ratio 必须大于 0（收到 0）" in errors
    assert "第 5 行 priority：“x” 无法识别" in errors
    assert "第 5 行：needs_approval “maybe” 应为 yes 或 no" in errors
    count = await run(uow, lambda u: u.session.scalar(select(func.count(SubstituteRule.id))))
    assert count == 0


async def test_item_kind_column_is_checked(chat: Chat, uow: UnitOfWork, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", ("sku", "name", "kind"), [("X", "某物", "dish")])
    with pytest.raises(ImportFailed) as failed:
        await run(uow, lambda u: importer.import_items(u, path, "test"))
    assert "第 2 行：kind “dish” 应为 stock, kit, made" in failed.value.errors
    found = await run(uow, lambda u: u.session.scalar(select(Item.id).where(Item.sku == "X")))
    assert found is None
