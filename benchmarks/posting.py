"""Posting throughput: 50 clerks posting 3-line sales at once, project vs a raw driver loop.

The project posts through the group committer the app uses, each sale handed to it as a
``ledger.Submission``, so a batch's sales are planned together and written once per table —
the path a batch of chat messages' sales takes too (``dispatch.handle_many``). This is the
ledger's throughput without the chat around it (the callback benchmark measures that).

The baseline runs the statements a posting needs — look up the warehouse, the clerk and the
items, read and update the balances, number the document, insert it with its
lines and moves, extend the audit chain — straight through the driver (``sqlite3`` or
``asyncpg``), one transaction per order, in a loop. Both start from the same seeded ledger.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from config import Settings
from core import audit, catalog, ledger, storage
from core.ledger import Line, Receive, Sell
from core.storage import (
    MAX_BATCH,
    DatabaseThread,
    GroupCommitter,
    Item,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
    is_postgres,
)
from devsupport.pg_cluster import recreate_database

ITEMS = 300
LINES = 3
GOAL = Goal(">=", 0.5)
# Against a raw loop that commits as many orders at once as the group committer may: what
# is left once commits are shared is the cost per statement.
BATCHED_GOAL = Goal(">=", 0.3)
PG_GOAL = Goal(">=", 1.0)


@dataclass(frozen=True)
class Sizes:
    clerks: int
    orders_per_clerk: int

    @property
    def orders(self) -> int:
        return self.clerks * self.orders_per_clerk


FULL = Sizes(clerks=50, orders_per_clerk=40)
QUICK = Sizes(clerks=50, orders_per_clerk=4)


def order_skus(clerk: int, n: int) -> list[str]:
    """Three different items per order, spread so concurrent orders rarely share one."""
    first = (clerk * 7 + n * 3) % ITEMS
    return [f"P{(first + k * 101) % ITEMS:04d}" for k in range(LINES)]


async def measure(env: BenchEnv, sizes: Sizes | None = None) -> list[Measurement]:
    sizes = sizes or (QUICK if env.quick else FULL)
    results = await _sqlite(env, sizes)
    if env.pg_admin_url is None:
        env.log("posting on PostgreSQL skipped: no server")
    else:
        results.append(await _postgres(env, sizes, env.pg_admin_url))
    return results


async def _sqlite(env: BenchEnv, sizes: Sizes) -> list[Measurement]:
    project_db, baseline_db = env.workdir / "posting.db", env.workdir / "posting-raw.db"
    env.log(f"posting on SQLite: {sizes.orders} orders by {sizes.clerks} clerks")
    project = await _project(f"sqlite+aiosqlite:///{project_db}", sizes)
    await _seed(f"sqlite+aiosqlite:///{baseline_db}")
    baseline = _raw_sqlite_loop(baseline_db, sizes)
    batched_db = env.workdir / "posting-raw-batched.db"
    await _seed(f"sqlite+aiosqlite:///{batched_db}")
    batched = _raw_sqlite_loop(batched_db, sizes, per_transaction=MAX_BATCH)
    return [
        _measurement("posting_ratio_sqlite", "posting, SQLite (orders/s)", project, baseline),
        _measurement(
            "posting_ratio_sqlite_batched",
            f"posting, SQLite, vs {MAX_BATCH} orders per commit (orders/s)",
            project,
            batched,
            BATCHED_GOAL,
        ),
    ]


async def _postgres(env: BenchEnv, sizes: Sizes, admin_url: str) -> Measurement:
    env.log(f"posting on PostgreSQL: {sizes.orders} orders by {sizes.clerks} clerks")
    project_url = await recreate_database(admin_url, "jxc_bench_posting")
    baseline_url = await recreate_database(admin_url, "jxc_bench_posting_raw")
    project = await _project(_asyncpg_url(project_url), sizes)
    await _seed(_asyncpg_url(baseline_url))
    baseline = await _raw_asyncpg_loop(baseline_url, sizes)
    return _measurement(
        "posting_ratio_pg", "posting, PostgreSQL (orders/s)", project, baseline, PG_GOAL
    )


def _measurement(
    key: str, title: str, project: float, baseline: float, goal: Goal = GOAL
) -> Measurement:
    return Measurement(
        key=key,
        title=title,
        value=project / baseline,
        goal=goal,
        project=f"{project:,.0f}/s",
        baseline=f"{baseline:,.0f}/s",
        raw={
            "project_orders_per_s": round(project, 1),
            "baseline_orders_per_s": round(baseline, 1),
        },
    )


# --- the project ----------------------------------------------------------------------------


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await storage.upgrade(engine)
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings())
        await in_transaction(uow, _catalogue)
        stock = tuple(Line(f"P{n:04d}", Decimal(1_000_000)) for n in range(ITEMS))
        await in_transaction(
            uow,
            lambda u: ledger.submit(
                u, Receive(warehouse="MAIN", actor="owner", lines=stock), enforce_policy=False
            ),
        )
    finally:
        await engine.dispose()


async def _catalogue(uow: UnitOfWork) -> None:
    uow.session.add_all(
        Item(sku=f"P{n:04d}", name=f"商品{n:04d}", unit="个", price=Decimal("5.5"), cost=Decimal(3))
        for n in range(ITEMS)
    )
    await catalog.save_user(uow, "owner", "owner", "老板", "admin", ["MAIN"])
    for clerk in range(FULL.clerks):
        await catalog.save_user(
            uow, f"clerk{clerk:02d}", f"clerk{clerk:02d}", "店员", "clerk", ["MAIN"]
        )


async def _project(url: str, sizes: Sizes) -> float:
    await _seed(url)
    engine = create_engine(url)
    try:
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings())
        async with AsyncExitStack() as stack:
            thread = None if is_postgres(engine) else DatabaseThread(url)
            if thread is not None:
                await stack.enter_async_context(thread)
            committer = await stack.enter_async_context(GroupCommitter(uow, thread))
            started = time.perf_counter()
            await asyncio.gather(*(_clerk(committer.run, c, sizes) for c in range(sizes.clerks)))
            elapsed = time.perf_counter() - started
        problem = await in_transaction(uow, audit.first_problem)
        if problem is not None:
            raise AssertionError(f"posting benchmark broke the ledger: {problem}")
    finally:
        await engine.dispose()
    return sizes.orders / elapsed


Runner = Callable[[Callable[[UnitOfWork], Awaitable[object]]], Awaitable[object]]


async def _clerk(run: Runner, clerk: int, sizes: Sizes) -> None:
    actor = f"clerk{clerk:02d}"
    for n in range(sizes.orders_per_clerk):
        lines = tuple(Line(sku, Decimal(1)) for sku in order_skus(clerk, n))
        await run(ledger.Submission(Sell(warehouse="MAIN", actor=actor, lines=lines)))


# --- the baseline: the same statements straight through the driver --------------------------

SELECT_WAREHOUSE = "SELECT id, negative_stock_policy FROM warehouses WHERE code = ?"
SELECT_USER = "SELECT id, role, active FROM users WHERE userid = ?"
SELECT_USER_WAREHOUSE = "SELECT 1 FROM user_warehouses WHERE user_id = ? AND warehouse_id = ?"
SELECT_ITEM = "SELECT id, name, unit, cost FROM items WHERE sku = ?"
SELECT_BALANCE = (
    "SELECT b.id, b.batch_id, b.qty, b.version FROM stock_balances b JOIN batches t "
    "ON t.id = b.batch_id WHERE b.item_id = ? AND b.warehouse_id = ? ORDER BY t.expiry, t.id"
)
NEXT_NUMBER = (
    "INSERT INTO number_sequences (prefix, day, last) VALUES ('XS', ?, 1) "
    "ON CONFLICT (prefix, day) DO UPDATE SET last = number_sequences.last + 1 RETURNING last"
)
INSERT_DOCUMENT = (
    "INSERT INTO documents (number, type, status, warehouse_id, created_by, created_at, "
    "posted_at, note, result, version) VALUES (?, 'sale', 'posted', ?, ?, ?, ?, '', ?, 1) "
    "RETURNING id"
)
UPDATE_BALANCE = (
    "UPDATE stock_balances SET qty = qty - ?, version = version + 1 WHERE id = ? AND version = ?"
)
INSERT_LINE = (
    "INSERT INTO document_lines (document_id, line_no, item_id, qty) VALUES (?, ?, ?, ?) "
    "RETURNING id"
)
INSERT_MOVE = (
    "INSERT INTO stock_moves (document_id, line_id, item_id, warehouse_id, batch_id, qty, "
    "unit_cost, posted_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_AUDIT_HEAD = "SELECT last_hash FROM audit_head WHERE id = 1"
UPDATE_AUDIT_HEAD = "UPDATE audit_head SET last_hash = ? WHERE id = 1"
INSERT_AUDIT = (
    "INSERT INTO audit_log (at, actor, action, subject, payload, prev_hash, hash) "
    "VALUES (?, ?, 'document.post', ?, ?, ?, ?)"
)
SCALE = 10_000  # core.storage.types.Fixed stores quantities and money ×10⁴


def _audit_row(
    prev: str, at: datetime, actor: str, number: str, skus: list[str]
) -> tuple[object, ...]:
    payload = json.dumps({"lines": [[s, "1"] for s in skus]}, separators=(",", ":"))
    digest = hashlib.sha256(f"{prev}{at.isoformat()}{actor}{number}{payload}".encode()).hexdigest()
    return (at, actor, f"document:{number}", payload, prev, digest)


def _raw_sqlite_loop(path: Path, sizes: Sizes, per_transaction: int = 1) -> float:
    """One transaction per order, or per ``per_transaction`` orders."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    orders = [
        (f"clerk{clerk:02d}", order_skus(clerk, n))
        for n in range(sizes.orders_per_clerk)
        for clerk in range(sizes.clerks)
    ]
    started = time.perf_counter()
    for first in range(0, len(orders), per_transaction):
        db.execute("BEGIN IMMEDIATE")
        for actor, skus in orders[first : first + per_transaction]:
            _raw_sqlite_order(db, actor, skus)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return sizes.orders / elapsed


def _raw_sqlite_order(db: sqlite3.Connection, actor: str, skus: list[str]) -> None:
    warehouse_id, _policy = db.execute(SELECT_WAREHOUSE, ("MAIN",)).fetchone()
    user_id, _role, _active = db.execute(SELECT_USER, (actor,)).fetchone()
    db.execute(SELECT_USER_WAREHOUSE, (user_id, warehouse_id)).fetchone()
    items = [db.execute(SELECT_ITEM, (sku,)).fetchone() for sku in skus]
    balances = [db.execute(SELECT_BALANCE, (i[0], warehouse_id)).fetchone() for i in items]
    now = datetime.now(UTC).replace(tzinfo=None)
    (last,) = db.execute(NEXT_NUMBER, (f"{now:%Y%m%d}",)).fetchone()
    number = f"XS-{now:%Y%m%d}-{last:04d}"
    result = json.dumps({"balances": [[s, str(b[2])] for s, b in zip(skus, balances, strict=True)]})
    (doc_id,) = db.execute(
        INSERT_DOCUMENT, (number, warehouse_id, actor, now, now, result)
    ).fetchone()
    for line_no, (item, balance) in enumerate(zip(items, balances, strict=True), start=1):
        db.execute(UPDATE_BALANCE, (SCALE, balance[0], balance[3]))
        (line_id,) = db.execute(INSERT_LINE, (doc_id, line_no, item[0], SCALE)).fetchone()
        db.execute(
            INSERT_MOVE,
            (doc_id, line_id, item[0], warehouse_id, balance[1], -SCALE, item[3], now, actor),
        )
    (prev,) = db.execute(SELECT_AUDIT_HEAD).fetchone()
    row = _audit_row(prev, now, actor, number, skus)
    db.execute(INSERT_AUDIT, row)
    db.execute(UPDATE_AUDIT_HEAD, (row[-1],))


def _numbered(sql: str) -> str:
    """``?`` placeholders → asyncpg's ``$1, $2, …``."""
    parts = sql.split("?")
    return "".join(f"{p}${i}" for i, p in enumerate(parts[:-1], start=1)) + parts[-1]


async def _raw_asyncpg_loop(url: str, sizes: Sizes) -> float:
    db = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        for n in range(sizes.orders_per_clerk):
            for clerk in range(sizes.clerks):
                await _raw_asyncpg_order(db, f"clerk{clerk:02d}", order_skus(clerk, n))
        elapsed = time.perf_counter() - started
    finally:
        await db.close()
    return sizes.orders / elapsed


async def _raw_asyncpg_order(db: asyncpg.Connection, actor: str, skus: list[str]) -> None:
    async with db.transaction():
        warehouse_id, _policy = await db.fetchrow(_numbered(SELECT_WAREHOUSE), "MAIN")
        user_id, _role, _active = await db.fetchrow(_numbered(SELECT_USER), actor)
        await db.fetchrow(_numbered(SELECT_USER_WAREHOUSE), user_id, warehouse_id)
        items = [await db.fetchrow(_numbered(SELECT_ITEM), sku) for sku in skus]
        balances = [
            await db.fetchrow(_numbered(SELECT_BALANCE + " FOR UPDATE OF b"), i[0], warehouse_id)
            for i in items
        ]
        now = datetime.now(UTC)
        last = await db.fetchval(_numbered(NEXT_NUMBER), f"{now:%Y%m%d}")
        number = f"XS-{now:%Y%m%d}-{last:04d}"
        result = json.dumps(
            {"balances": [[s, str(b[2])] for s, b in zip(skus, balances, strict=True)]}
        )
        doc_id = await db.fetchval(
            _numbered(INSERT_DOCUMENT), number, warehouse_id, actor, now, now, result
        )
        for line_no, (item, balance) in enumerate(zip(items, balances, strict=True), start=1):
            await db.execute(_numbered(UPDATE_BALANCE), SCALE, balance[0], balance[3])
            line_id = await db.fetchval(_numbered(INSERT_LINE), doc_id, line_no, item[0], SCALE)
            await db.execute(
                _numbered(INSERT_MOVE),
                doc_id,
                line_id,
                item[0],
                warehouse_id,
                balance[1],
                -SCALE,
                item[3],
                now,
                actor,
            )
        prev = await db.fetchval(SELECT_AUDIT_HEAD + " FOR UPDATE")
        row = _audit_row(prev, now, actor, number, skus)
        await db.execute(_numbered(INSERT_AUDIT), *row)
        await db.execute(_numbered(UPDATE_AUDIT_HEAD), row[-1])


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)
