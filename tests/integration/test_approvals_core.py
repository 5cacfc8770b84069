from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core import approvals, audit, catalog, ledger
from core.errors import PermissionDenied
from core.ledger import ChangePrice, Line, Receive, Sell
from core.storage import UnitOfWork
from core.views import NeedsApproval, Posted, PriceChanged
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


async def test_price_changed_meanwhile_makes_the_request_conflicted(shop: UnitOfWork) -> None:
    first = await ask_price(shop, "3.8")
    second = await ask_price(shop, "4.0", actor="clerk2")
    await decide(shop, first, "mgr1")
    late = await decide(shop, second, "mgr1")
    assert late.approval.status == "conflicted"
    assert late.refusal is not None
    assert await price_of(shop) == Decimal("3.8")


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


async def test_balance_changed_meanwhile_conflicts_a_pending_document(shop: UnitOfWork) -> None:
    pending = await run(
        shop,
        lambda u: ledger.submit(
            u, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(2)),))
        ),
    )
    assert isinstance(pending, NeedsApproval)
    await run(
        shop,
        lambda u: ledger.submit(
            u, Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(24)),))
        ),
    )
    decision = await decide(shop, pending.approval.number, "mgr1")
    assert decision.approval.status == "conflicted"
    assert (
        decision.approval.document is not None and decision.approval.document.status == "conflicted"
    )
    stock = await run(shop, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(24)


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
