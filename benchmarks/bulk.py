"""A ledger with years of history, written straight into SQLite for the scale benchmarks.

Posting ten million moves through the services would take hours; the benchmarks only need a
ledger the services could have written. So the schema comes from the project's migrations and
the rows from closed formulas: receipts (one per batch) through ``executemany``, the sales
(nine in ten rows) by recursive ``INSERT … SELECT`` inside SQLite, which writes them several
times faster than Python can hand them over. Each batch receives exactly what its sales take
plus what is left, so every balance equals the sum of its moves by construction and
``jxc audit verify`` passes (the audit chain stays at its genesis: history is not audited).

The shape: one store (MAIN), ``skus`` items with ``batches // skus`` batches each; the older
batches of an item are sold out and expired, the newest two still hold stock, expire within
the next 400 days, and one item in 50 sits under its reorder point.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from benchmarks import bulk_sql
from benchmarks.bulk_sql import CLERKS, SHOP_OFFSET, UNIT
from config import Settings
from core import storage
from core.storage import UnitOfWork, create_engine, create_sessionmaker

LIVE_BATCHES = 2
LOW_EVERY = 50


@dataclass(frozen=True)
class LedgerSize:
    skus: int
    batches: int  # a multiple of skus
    moves: int  # at least one receipt per batch; the rest are sales of one unit
    lines_per_document: int = 10
    days: int = 730

    @property
    def per_item(self) -> int:
        return self.batches // self.skus

    @property
    def receipt_documents(self) -> int:
        return math.ceil(self.batches / self.lines_per_document)

    @property
    def sales(self) -> int:
        return self.moves - self.batches

    @property
    def documents(self) -> int:
        return self.receipt_documents + math.ceil(self.sales / self.lines_per_document)

    def label(self) -> str:
        return f"{self.moves:,} moves / {self.skus:,} SKUs / {self.batches:,} batches"


LARGE = LedgerSize(skus=100_000, batches=1_000_000, moves=10_000_000)
QUICK = LedgerSize(skus=20_000, batches=100_000, moves=300_000)
SMALL = LedgerSize(skus=1_000, batches=5_000, moves=10_000)


@dataclass(frozen=True)
class Plan:
    """The formulas every row follows; the SQL statements use the same ones."""

    size: LedgerSize
    now: datetime
    stride: int  # sale n sells from batch (n mod batches) × stride mod batches: spread out

    @property
    def start(self) -> int:
        return int(self.now.timestamp()) - self.size.days * 86400

    @property
    def step(self) -> int:
        return max(1, (self.size.days * 86400 - 3600) // self.size.documents)

    @cached_property
    def inverse(self) -> int:
        """The stride's inverse modulo ``batches``: sale positions back from batch indexes."""
        return pow(self.stride, -1, self.size.batches) if self.size.batches > 1 else 0

    def sales_of(self, batch: int) -> int:
        """How many sales take from batch index ``batch`` (the inverse of the stride)."""
        n = self.size.batches
        position = batch * self.inverse % n
        return self.size.sales // n + (1 if position < self.size.sales % n else 0)

    def left_in(self, batch: int) -> int:
        if batch % self.size.per_item < self.size.per_item - LIVE_BATCHES:
            return 0
        item = batch // self.size.per_item
        return 2 if item % LOW_EVERY == 0 else 20 + batch * 7 % 80

    def expiry_of(self, batch: int) -> date:
        today = self.now.date()
        k = batch % self.size.per_item
        if k < self.size.per_item - LIVE_BATCHES:
            return today - timedelta(days=30 + 20 * (self.size.per_item - k))
        return today + timedelta(days=3 + batch * 37 % 400)


def stride_for(batches: int) -> int:
    """A multiplier coprime to ``batches`` near its golden section, so it permutes them."""
    stride = max(1, int(batches * 0.618))
    while math.gcd(stride, batches) != 1:
        stride += 1
    return stride


def item_price(item: int) -> int:
    return (100 + item % 900) * 100


def item_cost(item: int) -> int:
    return (100 + item % 900) * 60


async def build(path: Path, size: LedgerSize, now: datetime) -> Path:
    """Create the ledger at ``path``: migrations first, then the rows."""
    if size.batches % size.skus or size.moves < size.batches:
        raise ValueError(f"inconsistent ledger size {size}")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await storage.upgrade(engine)
    finally:
        await engine.dispose()
    plan = Plan(size, now, stride_for(size.batches))
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-1000000")
        db.execute("BEGIN")
        indexes = bulk_sql.drop_indexes(db)
        _write_catalog(db, plan)
        _write_receipts(db, plan)
        bulk_sql.write_sales(db, plan)
        bulk_sql.recreate_indexes(db, indexes)
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return path


async def cached(folder: Path, size: LedgerSize, now: datetime) -> Path:
    """The ledger of this size in ``folder``, built on first use (benchmarks share it)."""
    path = folder / f"ledger-{size.skus}-{size.batches}-{size.moves}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        await build(partial, size, now)
        partial.rename(path)
    return path


def _write_catalog(db: sqlite3.Connection, plan: Plan) -> None:
    db.executemany(
        "INSERT INTO items (id, sku, name, barcode, unit, unit_precision, category, price, cost,"
        " shelf_life_days, reorder_point, reorder_qty, batch_tracked, version)"
        " VALUES (?, ?, ?, ?, '个', 0, ?, ?, ?, 365, ?, ?, 1, 1)",
        (
            (i + 1, sku(i), name(i), f"69{i:011d}", f"类{i % 20:02d}", item_price(i),
             item_cost(i), 10 * UNIT, 50 * UNIT)
            for i in range(plan.size.skus)
        ),
    )  # fmt: skip


def _write_receipts(db: sqlite3.Connection, plan: Plan) -> None:
    """One receipt line per batch, ``lines_per_document`` lines per receipt, oldest first."""
    size = plan.size
    db.executemany(
        "INSERT INTO documents (id, number, type, status, warehouse_id, created_by, created_at,"
        " posted_at, note, version) VALUES (?, ?, 'receipt', 'posted', 1, ?, ?, ?, '', 1)",
        (
            (d + 1, number("RK", plan, d), clerk(d), at(plan, d), at(plan, d))
            for d in range(size.receipt_documents)
        ),
    )
    db.executemany(
        "INSERT INTO batches (id, item_id, lot, expiry, received_at) VALUES (?, ?, ?, ?, ?)",
        (
            (b + 1, b // size.per_item + 1, lot(plan, b), plan.expiry_of(b).isoformat(),
             at(plan, b // size.lines_per_document))
            for b in range(size.batches)
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO document_lines (id, document_id, line_no, item_id, qty, price, lot, expiry)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (_receipt_line(plan, b) for b in range(size.batches)),
    )
    db.executemany(
        "INSERT INTO stock_moves (id, document_id, line_id, item_id, warehouse_id, batch_id, qty,"
        " unit_cost, posted_at, actor) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
        (_receipt_move(plan, b) for b in range(size.batches)),
    )
    db.executemany(
        "INSERT INTO stock_balances (id, item_id, warehouse_id, batch_id, qty, expiry, version)"
        " VALUES (?, ?, 1, ?, ?, ?, 1)",
        (
            (b + 1, b // size.per_item + 1, b + 1, plan.left_in(b) * UNIT,
             plan.expiry_of(b).isoformat())
            for b in range(size.batches)
        ),
    )  # fmt: skip
    db.execute(bulk_sql.LEVELS)


def _receipt_line(plan: Plan, b: int) -> tuple[object, ...]:
    item = b // plan.size.per_item
    d, n = divmod(b, plan.size.lines_per_document)
    qty = (plan.sales_of(b) + plan.left_in(b)) * UNIT
    return (b + 1, d + 1, n + 1, item + 1, qty, item_cost(item), lot(plan, b),
            plan.expiry_of(b).isoformat())  # fmt: skip


def _receipt_move(plan: Plan, b: int) -> tuple[object, ...]:
    item = b // plan.size.per_item
    d = b // plan.size.lines_per_document
    qty = (plan.sales_of(b) + plan.left_in(b)) * UNIT
    return (b + 1, d + 1, b + 1, item + 1, b + 1, qty, item_cost(item), at(plan, d), clerk(d))


def sku(item: int) -> str:
    return f"SKU{item:06d}"


def name(item: int) -> str:
    return f"商品{item:06d}"


def lot(plan: Plan, batch: int) -> str:
    return f"L{batch % plan.size.per_item:03d}"


def clerk(document: int) -> str:
    return f"clerk{document % CLERKS}"


def at(plan: Plan, document: int) -> str:
    """Document ``document``'s instant as SQLAlchemy stores a naive-UTC SQLite datetime."""
    instant = datetime.fromtimestamp(plan.start + document * plan.step, UTC)
    return instant.strftime("%Y-%m-%d %H:%M:%S.000000")


def number(prefix: str, plan: Plan, document: int) -> str:
    day = datetime.fromtimestamp(plan.start + document * plan.step + SHOP_OFFSET, UTC)
    return f"{prefix}-{day:%Y%m%d}-{document:07d}"


@asynccontextmanager
async def unit_of_work(path: Path) -> AsyncIterator[UnitOfWork]:
    """A unit of work on the ledger at ``path``, through the app's own engine settings."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        yield UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=url))
    finally:
        await engine.dispose()
