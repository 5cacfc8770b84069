"""Postings a group commit takes at once are planned together and written once per table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit, catalog, ledger
from core.common import InsufficientStock, NeedsApproval, NotFound, Posted
from core.ledger import Line, Receive, Sell
from core.storage import (
    Batch,
    DatabaseThread,
    GroupCommitter,
    Item,
    StockBalance,
    StockMove,
    UnitOfWork,
)
from tests.support.committer import app_committer, recorded_statements
from tests.support.ledger import run, seed_shop
from tests.support.recipes import assert_ledger_sound, on_hand, seed_kitchen


@pytest.fixture
async def committer(uow: UnitOfWork, database_url: str) -> AsyncIterator[GroupCommitter]:
    await seed_shop(uow)
    receipt = Receive(
        warehouse="MAIN",
        actor="clerk1",
        lines=(Line("COKE", Decimal(10)), Line("SPRITE", Decimal(100))),
    )
    await run(uow, lambda u: ledger.submit(u, receipt))
    async with app_committer(uow, database_url) as c:
        yield c


@pytest.fixture
def statements() -> Iterator[list[str]]:
    with recorded_statements() as seen:
        yield seen


def sale(actor: str, sku: str, qty: int, key: str | None = None) -> Sell:
    lines = (Line(sku, Decimal(qty)),)
    return Sell(warehouse="MAIN", actor=actor, lines=lines, idempotency_key=key)


async def submit(committer: GroupCommitter, cmd: Sell) -> object:
    try:
        return await committer.run(ledger.Submission(cmd))
    except (InsufficientStock, NotFound) as refused:
        return refused


async def stock(uow: UnitOfWork, sku: str) -> Decimal:
    return (await run(uow, lambda u: ledger.stock_of(u, sku))).on_hand


@pytest.mark.parametrize("policy", ["approve", "forbid"])
async def test_fifty_sales_of_the_last_ten_units_planned_together_sell_exactly_ten(
    uow: UnitOfWork, committer: GroupCommitter, policy: str
) -> None:
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy=policy)
    )
    outcomes = await asyncio.gather(
        *(submit(committer, sale(f"clerk{n % 2 + 1}", "COKE", 1)) for n in range(50))
    )
    posted = [o for o in outcomes if isinstance(o, Posted)]
    expected = NeedsApproval if policy == "approve" else InsufficientStock
    assert len(posted) == 10
    assert all(isinstance(o, expected) for o in outcomes if not isinstance(o, Posted))
    assert len({p.document.number for p in posted}) == 10
    # Each sale's answer is the stock it left: ten different figures, 9 down to 0.
    assert sorted(p.balances[0].qty for p in posted) == [Decimal(n) for n in range(10)]
    assert await stock(uow, "COKE") == Decimal(0)
    assert await run(uow, audit.first_problem) is None


async def test_a_batch_of_sales_costs_a_few_statements_not_ten_each(
    uow: UnitOfWork, committer: GroupCommitter, statements: list[str]
) -> None:
    statements.clear()
    outcomes = await asyncio.gather(
        *(submit(committer, sale(f"clerk{n % 2 + 1}", "SPRITE", 1)) for n in range(40))
    )
    assert all(isinstance(o, Posted) for o in outcomes)
    assert len(statements) < 2 * len(outcomes)
    assert await stock(uow, "SPRITE") == Decimal(60)
    assert await run(uow, audit.first_problem) is None


async def test_a_refused_posting_in_a_batch_writes_nothing_and_the_others_post(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    outcomes = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 1)),
        submit(committer, sale("clerk2", "NO-SUCH-ITEM", 1)),
        submit(committer, sale("audit", "COKE", 1)),
        submit(committer, sale("clerk2", "COKE", 2)),
        return_exceptions=True,
    )
    assert [type(o).__name__ for o in outcomes] == [
        "Posted",
        "NotFound",
        "PermissionDenied",
        "Posted",
    ]
    assert await stock(uow, "COKE") == Decimal(7)
    assert await run(uow, audit.first_problem) is None


async def test_keyed_and_plain_postings_in_one_batch_keep_idempotency(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    first, plain, again = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 3, "wecom:msg-1")),
        submit(committer, sale("clerk2", "COKE", 1)),
        submit(committer, sale("clerk1", "COKE", 3, "wecom:msg-1")),
    )
    assert isinstance(first, Posted) and isinstance(plain, Posted) and isinstance(again, Posted)
    assert again.document.number == first.document.number
    assert await stock(uow, "COKE") == Decimal(6)
    assert await run(uow, audit.first_problem) is None


async def test_a_key_posted_by_an_earlier_batch_replays_in_a_later_one(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    first, _ = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 2, "wecom:msg-1")),
        submit(committer, sale("clerk2", "COKE", 1)),
    )
    again, other = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 2, "wecom:msg-1")),
        submit(committer, sale("clerk2", "COKE", 1, "wecom:msg-2")),
    )
    assert isinstance(first, Posted) and isinstance(again, Posted) and isinstance(other, Posted)
    assert again.replayed and again.document.number == first.document.number
    assert not other.replayed
    assert await stock(uow, "COKE") == Decimal(6)
    assert await run(uow, audit.first_problem) is None


async def test_a_receipt_into_a_new_batch_and_a_sale_of_it_post_in_one_batch(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    receipt = Receive(warehouse="B1", actor="boss", lines=(Line("COKE", Decimal(5)),))
    outcomes = await asyncio.gather(
        committer.run(ledger.Submission(receipt)),
        submit(committer, Sell(warehouse="B1", actor="boss", lines=(Line("COKE", Decimal(2)),))),
    )
    assert all(isinstance(o, Posted) for o in outcomes)
    stock_b1 = await run(uow, lambda u: ledger.stock_of(u, "COKE", "B1"))
    assert stock_b1.on_hand == Decimal(3)
    assert await run(uow, audit.first_problem) is None


async def test_priced_receipts_in_one_batch_average_the_batch_cost_in_order(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    def receipt(qty: int, price: str) -> Receive:
        line = Line("COKE", Decimal(qty), price=Decimal(price))
        return Receive(warehouse="MAIN", actor="clerk1", lines=(line,))

    outcomes = await asyncio.gather(
        committer.run(ledger.Submission(receipt(10, "3"))),
        committer.run(ledger.Submission(receipt(20, "4"))),
    )
    assert all(isinstance(o, Posted) for o in outcomes)

    async def cost(u: UnitOfWork) -> Decimal | None:
        statement = (
            select(Batch.cost).join(Item, Item.id == Batch.item_id).where(Item.sku == "COKE")
        )
        return await u.session.scalar(statement)

    # The fixture's 10 at 2.0, then 10 at 3.0 and 20 at 4.0: (20 + 30 + 80) / 40.
    assert await run(uow, cost) == Decimal("3.25")
    assert await run(uow, audit.first_problem) is None


async def test_a_sale_after_a_priced_receipt_in_one_batch_costs_the_new_average(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    # The batch is planned from plain rows, the receipt folds its price into the session's
    # batch: the sale after it must cost what the receipt made the batch cost.
    priced = Line("COKE", Decimal(10), price=Decimal(4))
    receipt = Receive(warehouse="MAIN", actor="clerk1", lines=(priced,))
    _, sold = await asyncio.gather(
        committer.run(ledger.Submission(receipt)), submit(committer, sale("clerk1", "COKE", 1))
    )
    assert isinstance(sold, Posted)

    async def unit_costs(u: UnitOfWork) -> list[Decimal]:
        document = await ledger.load_document(u, sold.document.number)
        statement = select(StockMove.unit_cost).where(StockMove.document_id == document.id)
        return list(await u.session.scalars(statement))

    # The fixture's 10 at 2.0 and 10 at 4.0: the batch costs 3.0 when the sale takes from it.
    assert await run(uow, unit_costs) == [Decimal(3)]
    assert await run(uow, audit.first_problem) is None


@pytest.mark.parametrize("kitchen", ["issue", "backflush"])
async def test_kit_sales_in_a_batch_follow_the_kitchen_policy(
    uow: UnitOfWork, database_url: str, tmp_path: Path, kitchen: str
) -> None:
    await seed_kitchen(uow, tmp_path)
    stock_up = (Line("CHICKEN", Decimal(5)), Line("PEANUT", Decimal(1)))
    await run(
        uow, lambda u: ledger.submit(u, Receive(warehouse="MAIN", actor="clerk1", lines=stock_up))
    )
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "test", "MAIN", kit_consumption=kitchen)
    )
    async with AsyncExitStack() as stack:
        thread = None
        if database_url.startswith("sqlite"):
            thread = await stack.enter_async_context(DatabaseThread(database_url))
        committer = await stack.enter_async_context(GroupCommitter(uow, thread))
        outcomes = await asyncio.gather(
            *(submit(committer, sale(f"clerk{n % 2 + 1}", "KUNGPAO", 1)) for n in range(4))
        )
    assert all(isinstance(o, Posted) for o in outcomes)
    chicken = await on_hand(uow, "CHICKEN")
    assert chicken == (Decimal(5) if kitchen == "issue" else Decimal(5) - 4 * Decimal("0.2"))
    await assert_ledger_sound(uow)


async def test_a_balance_loaded_earlier_in_the_transaction_sees_what_a_batch_posted(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    """The batch writes balances with Core statements; a later work of the same transaction
    that is handed the balance by the session must see the batch's stock and version (on
    PostgreSQL, writing from a stale version is a lost update)."""

    async def work(u: UnitOfWork) -> tuple[Decimal, int]:
        [coke] = (
            await u.session.scalars(select(StockBalance).join(Item).where(Item.sku == "COKE"))
        ).all()
        version = coke.version
        settled = await ledger.submit_together(
            u, [sale("clerk1", "COKE", 2), sale("clerk2", "COKE", 3)]
        )
        assert [s.error for s in settled] == [None, None]
        again = await u.session.get(StockBalance, coke.id)  # from the identity map, no SELECT
        assert again is coke
        await ledger.submit(u, sale("clerk1", "COKE", 1))
        return coke.qty, coke.version - version

    qty, versions = await run(uow, work)
    assert (qty, versions) == (Decimal(4), 2)
    assert await stock(uow, "COKE") == Decimal(4)
    await assert_ledger_sound(uow)
