from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from core import approvals, audit, catalog, ledger
from core.common import NeedsApproval, PermissionDenied, Posted, PriceChanged
from core.ledger import ChangePrice, Line, Receive, Sell
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    return uow


async def ask_price(
    uow: UnitOfWork, price: str, actor: str = "clerk1", key: str | None = None
) -> str:
    cmd = ChangePrice(
        item="COKE", new_price=Decimal(price), actor=actor, warehouse="MAIN", idempotency_key=key
    )
    result = await run(uow, lambda u: approvals.request_price_change(u, cmd))
    return result.approval.number


async def decide(
    uow: UnitOfWork, number: str, who: str, approve: bool = True
) -> approvals.Decision:
    return await run(uow, lambda u: approvals.decide(u, number, who, approve=approve))


async def price_of(uow: UnitOfWork) -> Decimal:
    return (await run(uow, lambda u: catalog.item_by_sku(u, "COKE"))).price


async def test_price_change_applies_only_after_a_managers_approval(shop: UnitOfWork) -> None:
    number = await ask_price(shop, "3.8")
    assert await price_of(shop) == Decimal("3.5")
    decision = await decide(shop, number, "mgr1")
    assert decision.refusal is None
    assert isinstance(decision.outcome, PriceChanged)
    assert decision.approval.status == "approved" and decision.approval.decided_by == "mgr1"
    assert await price_of(shop) == Decimal("3.8")


@pytest.mark.parametrize(
    ("decider", "message"),
    [
        ("clerk1", "不能审批自己"),
        ("clerk2", "只有店长或管理员"),
        ("mgr2", "不是仓库 MAIN 的店长"),
        ("nobody", "只有店长"),
    ],
)
async def test_requester_clerks_and_other_warehouse_managers_cannot_decide(
    shop: UnitOfWork, decider: str, message: str
) -> None:
    number = await ask_price(shop, "3.8")
    with pytest.raises(PermissionDenied, match=message):
        await decide(shop, number, decider)
    assert await price_of(shop) == Decimal("3.5")


async def test_second_decision_changes_nothing_and_says_why(shop: UnitOfWork) -> None:
    number = await ask_price(shop, "3.8")
    await decide(shop, number, "mgr1", approve=False)
    again = await decide(shop, number, "boss", approve=True)
    assert again.refusal is not None and "已驳回" in again.refusal
    assert await price_of(shop) == Decimal("3.5")


async def test_price_changed_meanwhile_refreshes_the_request_for_a_new_decision(
    shop: UnitOfWork,
) -> None:
    first = await ask_price(shop, "3.8")
    second = await ask_price(shop, "4.0", actor="clerk2")
    await decide(shop, first, "mgr1")
    late = await decide(shop, second, "mgr1")
    assert late.approval.status == "pending" and late.refreshed and not late.changed
    assert late.refusal is not None and "可乐 售价已由 ¥3.50 改为 ¥3.80" in late.refusal
    assert [(c.before, c.after) for c in late.approval.changes] == [("¥3.80", "¥4.00")]
    assert await price_of(shop) == Decimal("3.8")
    again = await decide(shop, second, "mgr1")
    assert again.approval.status == "approved" and isinstance(again.outcome, PriceChanged)
    assert again.outcome.old_price == Decimal("3.8") and await price_of(shop) == Decimal("4.0")


async def test_price_request_already_in_force_is_voided_saying_what_changed(
    shop: UnitOfWork,
) -> None:
    first = await ask_price(shop, "3.8")
    second = await ask_price(shop, "3.8", actor="clerk2")
    await decide(shop, first, "mgr1")
    late = await decide(shop, second, "boss")
    assert late.approval.status == "conflicted"
    assert late.refusal == (
        "申请提交后可乐 售价已由 ¥3.50 改为 ¥3.80，已是申请的 ¥3.80，无需再调。"
        "申请已作废，请重新提交"
    )
    assert (
        late.approval.decision_note
        == "申请后可乐 售价已由 ¥3.50 改为 ¥3.80，已是申请的 ¥3.80，无需再调"
    )


async def test_two_managers_approving_at_once_apply_it_once(shop: UnitOfWork) -> None:
    await run(
        shop,
        lambda u: ledger.submit(
            u, Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(3)),))
        ),
    )
    pending = await run(
        shop,
        lambda u: ledger.submit(
            u, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(5)),))
        ),
    )
    assert isinstance(pending, NeedsApproval)
    number = pending.approval.number
    results = await asyncio.gather(decide(shop, number, "mgr1"), decide(shop, number, "boss"))
    applied = [r for r in results if isinstance(r.outcome, Posted)]
    assert len(applied) == 1
    assert [r.refusal is not None for r in results].count(True) == 1
    stock = await run(shop, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(-2)
    assert await run(shop, audit.first_problem) is None


async def test_negative_sale_by_clerk_posts_once_after_approval(shop: UnitOfWork) -> None:
    cmd = Sell(
        warehouse="MAIN",
        actor="clerk1",
        lines=(Line("COKE", Decimal(-2)),),
        idempotency_key="msg:9",
    )
    pending = await run(shop, lambda u: ledger.submit(u, cmd))
    assert isinstance(pending, NeedsApproval)
    replay = await run(shop, lambda u: ledger.submit(u, cmd))
    assert isinstance(replay, NeedsApproval) and replay.approval.number == pending.approval.number
    decision = await decide(shop, pending.approval.number, "mgr1")
    assert isinstance(decision.outcome, Posted)
    assert decision.outcome.document.status == "posted"
    stock = await run(shop, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(2)
    assert await run(shop, audit.first_problem) is None


async def sell(uow: UnitOfWork, sku: str, qty: int, actor: str = "clerk1") -> object:
    cmd = Sell(warehouse="MAIN", actor=actor, lines=(Line(sku, Decimal(qty)),))
    return await run(uow, lambda u: ledger.submit(u, cmd))


async def receive(uow: UnitOfWork, line: Line) -> None:
    await run(
        uow, lambda u: ledger.submit(u, Receive(warehouse="MAIN", actor="boss", lines=(line,)))
    )


async def test_stock_that_came_in_meanwhile_lets_the_approval_post_and_says_so(
    shop: UnitOfWork,
) -> None:
    pending = await sell(shop, "COKE", 2)
    assert isinstance(pending, NeedsApproval)
    await receive(shop, Line("COKE", Decimal(24)))
    decision = await decide(shop, pending.approval.number, "mgr1")
    assert decision.approval.status == "approved" and isinstance(decision.outcome, Posted)
    assert decision.what_changed == "可乐@MAIN 库存 0 → 24，已无需审批"
    stock = await run(shop, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(22)


async def test_small_sales_meanwhile_refresh_a_negative_stock_sale_instead_of_voiding_it(
    shop: UnitOfWork,
) -> None:
    await receive(shop, Line("COKE", Decimal(96)))
    pending = await sell(shop, "COKE", 500)
    assert isinstance(pending, NeedsApproval)
    number = pending.approval.number
    assert [(c.before, c.after) for c in pending.approval.changes] == [("96", "-404")]
    await sell(shop, "COKE", 2, actor="clerk2")
    await sell(shop, "COKE", 3, actor="clerk2")

    refreshed = await decide(shop, number, "mgr1")
    assert refreshed.refreshed and refreshed.approval.status == "pending"
    assert refreshed.refusal is not None
    assert refreshed.refusal.startswith("申请提交后可乐@MAIN 库存 96 → 91。")
    assert [(c.before, c.after) for c in refreshed.approval.changes] == [("91", "-409")]
    assert refreshed.approval.reason == "库存不足：可乐 现有 91 瓶，需要 500 瓶"
    assert (await run(shop, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(91)

    approved = await decide(shop, number, "mgr1")
    assert approved.approval.status == "approved" and isinstance(approved.outcome, Posted)
    assert (await run(shop, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(-409)
    assert await run(shop, audit.first_problem) is None


async def test_a_change_that_would_need_another_kind_of_approval_voids_the_request(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    await receive(shop, Line("MILK", Decimal(3), lot="L1", expiry=date(2026, 11, 26)))
    pending = await sell(shop, "MILK", 5)
    assert isinstance(pending, NeedsApproval) and pending.approval.subject == "negative_stock"
    clock.advance(hours=20)
    await receive(shop, Line("MILK", Decimal(1), lot="L2", expiry=date(2026, 12, 20)))
    decision = await decide(shop, pending.approval.number, "mgr1")
    assert decision.approval.status == "conflicted"
    assert decision.refusal is not None
    assert "鲜牛奶@MAIN 库存 3 → 4" in decision.refusal
    assert "现在还需另一种审批：将出售已过期批次：鲜牛奶 批号 L1" in decision.refusal
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK"))
    assert stock.on_hand == Decimal(4)


async def test_a_warehouse_that_now_forbids_negative_stock_voids_the_request(
    shop: UnitOfWork,
) -> None:
    pending = await sell(shop, "COKE", 5)
    assert isinstance(pending, NeedsApproval)
    await receive(shop, Line("COKE", Decimal(1)))
    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="forbid"),
    )
    decision = await decide(shop, pending.approval.number, "mgr1")
    assert decision.approval.status == "conflicted"
    assert decision.refusal is not None
    assert "库存不足：可乐 现有 1 瓶，需要 5 瓶。请先入库，或减少数量" in decision.refusal


async def test_click_after_expiry_is_refused_and_marks_expired(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    number = await ask_price(shop, "3.8")
    clock.advance(hours=25)
    decision = await decide(shop, number, "mgr1")
    assert decision.approval.status == "expired"
    assert decision.refusal is not None and "过期" in decision.refusal
    assert await price_of(shop) == Decimal("3.5")


async def test_expire_due_closes_old_requests_only(shop: UnitOfWork, clock: ManualClock) -> None:
    old = await ask_price(shop, "3.8")
    clock.advance(hours=23)
    fresh = await ask_price(shop, "3.9", actor="clerk2")
    clock.advance(hours=2)
    expired = await run(shop, approvals.expire_due)
    assert [a.number for a in expired] == [old]
    still_open = await run(shop, lambda u: approval_numbers(u))
    assert still_open == [fresh]


async def approval_numbers(uow: UnitOfWork) -> list[str]:
    from core.approvals import open_requests

    return [a.number for a in await open_requests(uow, None)]


async def test_only_the_requester_may_cancel(shop: UnitOfWork) -> None:
    number = await ask_price(shop, "3.8")
    with pytest.raises(PermissionDenied):
        await run(shop, lambda u: approvals.cancel(u, number, "clerk2"))
    cancelled = await run(shop, lambda u: approvals.cancel(u, number, "clerk1"))
    assert cancelled.status == "cancelled"
    late = await decide(shop, number, "mgr1")
    assert late.refusal is not None and "已撤回" in late.refusal


async def test_an_approval_from_a_card_drawn_before_the_refresh_is_not_taken(
    shop: UnitOfWork,
) -> None:
    await receive(shop, Line("COKE", Decimal(10)))
    pending = await sell(shop, "COKE", 20)
    assert isinstance(pending, NeedsApproval) and pending.approval.revision == 0
    number = pending.approval.number
    await sell(shop, "COKE", 1, actor="clerk2")
    refreshed = await decide(shop, number, "mgr1")
    assert refreshed.refreshed and refreshed.approval.revision == 1

    async def click(revision: int, approve: bool) -> approvals.Decision:
        return await run(
            shop,
            lambda u: approvals.decide(u, number, "boss", approve=approve, revision=revision),
        )

    stale = await click(0, approve=True)
    assert stale.approval.status == "pending" and not stale.changed
    assert stale.refusal is not None and "更新前的卡片" in stale.refusal
    rejected = await click(0, approve=False)
    assert rejected.approval.status == "rejected"
