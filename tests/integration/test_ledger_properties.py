"""Property: any sequence of documents keeps the ledger exact.

Every balance equals the sum of its moves, and a balance is negative only where a manager
approved an exception.
"""

from __future__ import annotations

import asyncio
import shutil
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from config import Settings
from core import approvals, audit, catalog, ledger
from core.common import DocType, DomainError, NeedsApproval, Posted
from core.ledger import COMMANDS, Line, Transfer
from core.storage import Item, StockBalance, UnitOfWork, create_engine, create_sessionmaker
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop

SKUS = ("COKE", "SPRITE", "MILK")
KINDS = tuple(t for t in DocType)
operation = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(SKUS),
    st.integers(min_value=-5, max_value=30),
    st.sampled_from(("clerk1", "mgr1")),
    st.sampled_from(("approve", "reject", "leave")),
    st.integers(min_value=0, max_value=48),
)


def command(kind: DocType, sku: str, qty: int, actor: str) -> object:
    lines = (Line(sku, Decimal(qty)),)
    if kind is DocType.TRANSFER:
        return Transfer(warehouse="MAIN", to_warehouse="B1", actor="boss", lines=lines)
    return COMMANDS[kind](warehouse="MAIN", actor=actor, lines=lines)


async def scenario(
    db: Path, policy: str, ops: list[tuple[DocType, str, int, str, str, int]]
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    clock = ManualClock()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db}")
    uow = UnitOfWork(create_sessionmaker(engine), clock=clock, settings=settings)
    try:
        await seed_shop(uow)
        await run(
            uow,
            lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy=policy),
        )
        approved_negative: set[str] = set()
        for kind, sku, qty, actor, decision, hours in ops:
            clock.advance(hours=hours)
            cmd = command(kind, sku, qty, actor)
            try:
                result = await run(uow, lambda u, c=cmd: ledger.submit(u, c))  # type: ignore[misc]
            except DomainError:
                continue
            if isinstance(result, NeedsApproval) and decision != "leave":
                number, reason = result.approval.number, result.approval.reason
                decider = "boss" if result.approval.requested_by == "mgr1" else "mgr1"
                approve = decision == "approve"
                outcome = await run(
                    uow,
                    lambda u, n=number, d=decider, a=approve: approvals.decide(u, n, d, approve=a),
                )
                if isinstance(outcome.outcome, Posted) and "库存不足" in reason:
                    approved_negative.add(sku)
        assert await run(uow, audit.first_problem) is None
        negative = await run(uow, negative_skus)
        if policy == "allow":
            return
        assert negative <= approved_negative, (negative, approved_negative)
    finally:
        await engine.dispose()


async def negative_skus(uow: UnitOfWork) -> set[str]:
    rows = await uow.session.scalars(
        select(Item.sku)
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(StockBalance.qty < 0)
    )
    return set(rows)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(policy=st.sampled_from(("approve", "forbid", "allow")), ops=st.lists(operation, max_size=25))
def test_random_document_sequences_keep_balances_equal_to_moves(
    sqlite_template: Path,
    tmp_path: Path,
    policy: str,
    ops: list[tuple[DocType, str, int, str, str, int]],
) -> None:
    db = tmp_path / f"prop-{abs(hash((policy, tuple(ops))))}.db"
    shutil.copy(sqlite_template, db)
    try:
        asyncio.run(scenario(db, policy, ops))
    finally:
        db.unlink(missing_ok=True)
