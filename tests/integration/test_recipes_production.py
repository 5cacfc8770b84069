"""生产: components per BOM × qty × (1 + scrap), FEFO, the product as a new costed batch;
actual consumption and its variance; substitutes by priority and ratio, and with approval.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.recipes import ProductionUse
from core.storage import Document, UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run
from tests.support.recipes import (
    assert_ledger_sound,
    batches_of,
    import_substitutes,
    move_costs,
    on_hand,
    seed_kitchen,
)


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_kitchen(uow, tmp_path)
    chat = chat_factory(uow)
    await chat.say("clerk1", "入库 面粉 10 到期 2026-12-31")
    await chat.say("clerk1", "入库 面粉 30 到期 2027-03-31")
    await chat.say("clerk1", "入库 鸡蛋 200")
    return chat


async def theoretical(uow: UnitOfWork, number: str) -> dict[int, Decimal]:
    async def read(u: UnitOfWork) -> dict[int, Decimal]:
        rows = await u.session.execute(
            select(ProductionUse.item_id, ProductionUse.theoretical_qty)
            .join(Document, Document.id == ProductionUse.document_id)
            .where(Document.number == number)
        )
        return {item: qty for item, qty in rows}

    return await run(uow, read)


async def test_production_consumes_bom_with_scrap_into_a_costed_batch(
    chat: Chat, uow: UnitOfWork
) -> None:
    reply = await chat.say("clerk1", "生产 面包 100")
    assert "已过账 生产单 SC-20261126-0001（MAIN）" in reply
    assert "产出：面包 100 个 批号 SC-20261126-0001 到期 2026-11-29" in reply
    # 0.25 kg × 100 × 1.02 and 1 × 100 × 1.05.
    assert "- 面粉 25.5 kg\n- 鸡蛋 105 个" in reply
    # 25.5 × ¥4 + 105 × ¥0.8 = ¥186 → ¥1.86 a loaf.
    assert "成本 ¥186.00，单位成本 ¥1.86/个" in reply
    assert "库存：面包 100 个（MAIN），面粉 14.5 kg（MAIN），鸡蛋 95 个（MAIN）" in reply
    assert await batches_of(uow, "FLOUR") == {"E20261231": 0, "E20270331": Decimal("14.5")}
    assert await batches_of(uow, "BREAD") == {"SC-20261126-0001": 100}
    assert await move_costs(uow, "BREAD") == [(100, Decimal("1.86"))]
    await assert_ledger_sound(uow)


async def test_actual_consumption_is_posted_and_the_bom_figure_kept(
    chat: Chat, uow: UnitOfWork
) -> None:
    reply = await chat.say("clerk1", "生产 面包 100 实际 面粉 26")
    assert "- 面粉 26 kg（配方 25.5 kg，差异 +0.5 kg）" in reply
    assert "成本 ¥188.00，单位成本 ¥1.88/个" in reply
    assert await on_hand(uow, "FLOUR") == 14
    kept = await theoretical(uow, "SC-20261126-0001")
    assert sorted(kept.values()) == [Decimal("25.5"), 105]
    await assert_ledger_sound(uow)


async def test_production_without_a_bom_or_of_a_kit_or_nonsense_is_refused(chat: Chat) -> None:
    assert "面团 没有配方（BOM），无法生产" in await chat.say("clerk1", "生产 面团 5")
    assert "宫保鸡丁 是套餐/菜品，不生产入库" in await chat.say("clerk1", "生产 宫保鸡丁 5")
    assert "生产数量必须大于 0" in await chat.say("clerk1", "生产 面包 0")
    assert "鸡肉 不在 面包 的配方中" in await chat.say("clerk1", "生产 面包 5 实际 鸡肉 1")
    assert "“实际”后面写原料和数量" in await chat.say("clerk1", "生产 面包 5 实际")
    assert len(await chat.document_numbers()) == 3  # the three receipts


async def test_a_negative_or_too_fine_actual_use_is_refused_and_nothing_posts(
    chat: Chat, uow: UnitOfWork
) -> None:
    """实际 -1 would bring an egg back into stock and lower the bread's cost."""
    refused = await chat.say("clerk1", "生产 面包 5 实际 鸡蛋 -1")
    assert "实际用量不能为负数" in refused and "实际 鸡蛋" in refused
    refused = await chat.say("clerk1", "生产 面包 5 实际 鸡蛋 1.5")
    assert "鸡蛋 以“个”计，数量只能是整数（收到 1.5）" in refused
    assert len(await chat.document_numbers()) == 3  # the three receipts
    assert await on_hand(uow, "EGG") == 200 and await on_hand(uow, "BREAD") == 0
    reply = await chat.say("clerk1", "生产 面包 5 实际 鸡蛋 0")  # none used: a variance, allowed
    assert "- 鸡蛋 0 个（配方 6 个，差异 -6 个）" in reply
    await assert_ledger_sound(uow)


async def test_short_components_use_substitutes_by_priority_and_ratio(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(
        uow,
        tmp_path / "subs.csv",
        [("FLOUR", "WHOLE", "1.2", "2", "no"), ("FLOUR", "STRONG", "1", "1", "no")],
    )
    await chat.say("clerk1", "报损 面粉 35")  # 5 kg of flour left
    await chat.say("clerk1", "入库 高筋粉 8, 全麦粉 50")
    reply = await chat.say("clerk1", "生产 面包 100")
    # Need 25.5: 5 of flour, then 8 of strong flour (priority 1, 1:1), then the missing
    # 12.5 as whole-wheat at 1.2 : 1 = 15.
    assert "替代：高筋粉 8 kg 代替 面粉 8 kg" in reply
    assert "替代：全麦粉 15 kg 代替 面粉 12.5 kg" in reply
    assert "已过账 生产单" in reply
    assert await on_hand(uow, "FLOUR") == 0
    assert await on_hand(uow, "STRONG") == 0
    assert await on_hand(uow, "WHOLE") == 35
    # 5×4 + 8×5 + 15×6 + 105×0.8 = 234 → 2.34 a loaf.
    assert "成本 ¥234.00，单位成本 ¥2.34/个" in reply
    await assert_ledger_sound(uow)


async def test_a_substitute_marked_for_approval_sends_the_production_for_approval(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(uow, tmp_path / "subs.csv", [("FLOUR", "WHOLE", "1", "1", "yes")])
    await chat.say("clerk1", "报损 面粉 30")
    await chat.say("clerk1", "入库 全麦粉 50")
    reply = await chat.say("clerk1", "生产 面包 100")
    assert "生产单 SC-20261126-0001 已提交，需审批后过账" in reply
    assert "以 全麦粉 15.5 kg 替代 面粉 15.5 kg（该替代需审批）" in reply
    assert await on_hand(uow, "BREAD") == 0
    # Until it is decided, 查 shows what the production will take as held.
    held = await chat.say("clerk1", "查 全麦粉")
    assert "MAIN：现有 50 kg，可用 34.5 kg（待审批占用 15.5 kg）" in held
    assert "（待审批占用 105 个）" in await chat.say("clerk1", "查 鸡蛋")
    decided = await chat.say("mgr1", "批准 SP-20261126-0001")
    assert "已批准" in decided
    assert await on_hand(uow, "BREAD") == 100
    assert await on_hand(uow, "WHOLE") == Decimal("34.5")
    assert await on_hand(uow, "FLOUR") == 0
    assert "待审批占用" not in await chat.say("clerk1", "查 全麦粉")
    await assert_ledger_sound(uow)


async def test_still_short_after_substitutes_follows_the_negative_stock_policy(
    chat: Chat, uow: UnitOfWork, tmp_path: Path
) -> None:
    await import_substitutes(uow, tmp_path / "subs.csv", [("FLOUR", "STRONG", "1", "1", "no")])
    await chat.say("clerk1", "报损 面粉 35")
    await chat.say("clerk1", "入库 高筋粉 10")
    reply = await chat.say("clerk1", "生产 面包 100")
    assert "替代：高筋粉 10 kg 代替 面粉 10 kg" in reply
    assert "库存不足：面粉 现有 5 kg，需要 15.5 kg" in reply
    assert "需审批后过账" in reply
    await assert_ledger_sound(uow)
