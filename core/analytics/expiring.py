"""Batches near expiry as the expiry alert reads them: counts first, the batches only when
there is news.

A batch is in the nearest bucket (days before expiry) it has reached. What an alert already
said about a warehouse is a ``Told``: every in-stock batch that was in a bucket on its
``day``, and every balance up to ``balance_id``. So a batch is news when it reached its
bucket after that day (the days passed) or its balance is newer (received, or moved in).
Counting news is an aggregate over the range of the partial index of in-stock balances by
expiry; the batches themselves (with their items, for the list file) are read only for a
warehouse that has news (``jxc bench``, alert_scan).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true

from core.analytics.stock import EXPIRING_COLUMNS, IN_STOCK_WITH_EXPIRY, NEGATIVE, BatchStock
from core.storage import Batch, Item, StockBalance, UnitOfWork, Warehouse

ZERO = Decimal(0)


@dataclass(frozen=True)
class Window:
    """Bucket ``days``: expiry in (``after``, ``until``], for ``category`` (None: the default
    thresholds, for every category without its own)."""

    days: int
    after: date | None
    until: date
    category: str | None


@dataclass(frozen=True)
class Buckets:
    """Days-before-expiry thresholds as of ``today``, per category where configured."""

    today: date
    default: tuple[int, ...]
    by_category: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def of(self, category: str, expiry: date) -> int | None:
        """The nearest bucket ``expiry`` has reached, or None."""
        days_left = (expiry - self.today).days
        reached = [d for d in self.by_category.get(category, self.default) if days_left <= d]
        return min(reached) if reached else None

    @property
    def last_day(self) -> date | None:
        every = [*self.default, *(d for days in self.by_category.values() for d in days)]
        return self.today + timedelta(days=max(every)) if every else None

    def windows(self) -> list[Window]:
        groups: list[tuple[str | None, tuple[int, ...]]] = [(None, self.default)]
        groups += list(self.by_category.items())
        found = []
        for category, days in groups:
            nearest_first = sorted(set(days))
            for i, d in enumerate(nearest_first):
                after = self.today + timedelta(days=nearest_first[i - 1]) if i else None
                found.append(Window(d, after, self.today + timedelta(days=d), category))
        return found


@dataclass(frozen=True)
class Told:
    day: date
    balance_id: int

    def is_news(self, bucket: int, expiry: date, balance_id: int) -> bool:
        return expiry > self.day + timedelta(days=bucket) or balance_id > self.balance_id


@dataclass(frozen=True)
class Expiring:
    batch: BatchStock
    bucket: int
    balance_id: int


@dataclass
class ExpiryCounts:
    """One warehouse: batches per bucket, and of them those not yet told."""

    warehouse: str
    held: Counter[int] = field(default_factory=Counter)
    news: Counter[int] = field(default_factory=Counter)

    @property
    def news_total(self) -> int:
        return sum(self.news.values())


@dataclass(frozen=True)
class ExpiryScan:
    counts: list[ExpiryCounts]
    # The newest balance when the scan began: a ``Told`` after saying this scan's news.
    newest_balance: int


async def expiry_counts(uow: UnitOfWork, buckets: Buckets, told: Mapping[str, Told]) -> ExpiryScan:
    """Per warehouse, the in-stock batches in each bucket and how many of them are news.

    One statement of counts, each over one bucket's range of the covering index (no row is
    decoded, none is sorted). Items with negative balances are the exception (a few, read
    along their partial index): their batches are netted one by one, as
    ``batches_expiring_by`` does.
    """
    warehouses = await _warehouse_ids(uow)
    owed = await _deficits(uow)
    left_out = sorted({item for _, item in owed})
    windows = buckets.windows()
    cells = [(wid, w) for wid in warehouses for w in windows]

    def counted(*where: ColumnElement[bool]) -> Any:
        statement = select(func.count()).select_from(StockBalance).where(IN_STOCK_WITH_EXPIRY)
        if left_out:
            statement = statement.where(StockBalance.item_id.not_in(left_out))
        return statement.where(*where).scalar_subquery()

    columns = [select(func.max(StockBalance.id)).scalar_subquery()]
    for wid, w in cells:
        here = [StockBalance.warehouse_id == wid, _window_expr(buckets, w)]
        columns.append(counted(*here))
        if (t := told.get(warehouses[wid])) is not None:
            columns.append(counted(*here, _news_in(w, t)))
    newest, *figures = (await uow.session.execute(select(*columns))).one()
    counts = {code: ExpiryCounts(code) for code in warehouses.values()}
    figure = iter(figures)
    for wid, w in cells:
        code = warehouses[wid]
        held = int(next(figure))
        counts[code].held[w.days] += held
        # Nothing told yet: every batch in the bucket is news.
        counts[code].news[w.days] += int(next(figure)) if code in told else held
    last_day = buckets.last_day
    if last_day is not None:
        for found in await _netted(uow, buckets, last_day, owed, warehouses):
            c = counts[found.batch.warehouse]
            c.held[found.bucket] += 1
            t = told.get(found.batch.warehouse)
            if t is None or t.is_news(found.bucket, found.batch.expiry, found.balance_id):
                c.news[found.bucket] += 1
    return ExpiryScan([c for c in counts.values() if any(c.held.values())], int(newest or 0))


async def expiry_news(
    uow: UnitOfWork, buckets: Buckets, warehouse: str, told: Told | None
) -> list[Expiring]:
    """The batches of ``warehouse`` that are news, most urgent (soonest expiry) first."""
    last_day = buckets.last_day
    if last_day is None:
        return []
    warehouses = await _warehouse_ids(uow)
    [wid] = [w for w, code in warehouses.items() if code == warehouse]
    owed = await _deficits(uow)
    bucket = _bucket_expr(buckets)
    statement = _in_horizon(
        select(*EXPIRING_COLUMNS, StockBalance.qty, StockBalance.id, bucket),
        last_day,
        {item for _, item in owed},
    ).where(
        StockBalance.warehouse_id == wid,
        bucket.is_not(None),
        true() if told is None else _news_expr(buckets, told),
    )
    found = [
        Expiring(
            BatchStock(batch_id, warehouse, sku, name, unit, cat, lot, expiry, qty, cost, qty),
            int(days),
            balance_id,
        )
        for batch_id, lot, expiry, sku, name, unit, cat, cost, qty, balance_id, days in (
            await uow.session.execute(statement)
        ).all()
    ]
    for netted in await _netted(uow, buckets, last_day, owed, warehouses):
        b = netted.batch
        if b.warehouse == warehouse and (
            told is None or told.is_news(netted.bucket, b.expiry, netted.balance_id)
        ):
            found.append(netted)
    found.sort(key=lambda e: (e.batch.expiry, e.batch.sku, e.batch.batch_id))
    return found


def _in_horizon(
    statement: Select[*tuple[Any, ...]], last_day: date, left_out: set[int]
) -> Select[*tuple[Any, ...]]:
    statement = (
        statement.select_from(StockBalance)
        .join(Batch, Batch.id == StockBalance.batch_id)
        .join(Item, Item.id == StockBalance.item_id)
        .where(IN_STOCK_WITH_EXPIRY, StockBalance.expiry <= last_day)
    )
    if left_out:
        statement = statement.where(StockBalance.item_id.not_in(sorted(left_out)))
    return statement


def _window_expr(buckets: Buckets, w: Window) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [StockBalance.expiry <= w.until]
    if w.after is not None:
        parts.append(StockBalance.expiry > w.after)
    # The category by the item's id, so a count stays on the index.
    if w.category is not None:
        parts.append(StockBalance.item_id.in_(select(Item.id).where(Item.category == w.category)))
    elif buckets.by_category:
        own = select(Item.id).where(Item.category.in_(sorted(buckets.by_category)))
        parts.append(StockBalance.item_id.not_in(own))
    return and_(*parts)


def _bucket_expr(buckets: Buckets) -> ColumnElement[int | None]:
    """The bucket of a balance's expiry; only asked with some bucket set (``last_day``)."""
    return case(*((_window_expr(buckets, w), w.days) for w in buckets.windows()), else_=None)


def _news_in(w: Window, told: Told) -> ColumnElement[bool]:
    """In window ``w``: reached after the told day, or a newer balance."""
    return or_(
        StockBalance.expiry > told.day + timedelta(days=w.days),
        StockBalance.id > told.balance_id,
    )


def _news_expr(buckets: Buckets, told: Told) -> ColumnElement[bool]:
    crossed = [and_(_window_expr(buckets, w), _news_in(w, told)) for w in buckets.windows()]
    return or_(*crossed)


async def _warehouse_ids(uow: UnitOfWork) -> dict[int, str]:
    rows = await uow.session.execute(select(Warehouse.id, Warehouse.code))
    return {wid: code for wid, code in rows.all()}


async def _deficits(uow: UnitOfWork) -> dict[tuple[int, int], Decimal]:
    """Per (warehouse, item), how far its negative balances go below zero: a few rows, read
    along their partial index (summed here: a GROUP BY would walk the unique index instead)."""
    rows = await uow.session.execute(
        select(StockBalance.warehouse_id, StockBalance.item_id, StockBalance.qty).where(NEGATIVE)
    )
    owed: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for wid, item, qty in rows.all():
        owed[(wid, item)] -= qty
    return dict(owed)


async def _netted(
    uow: UnitOfWork,
    buckets: Buckets,
    last_day: date,
    owed: Mapping[tuple[int, int], Decimal],
    warehouses: Mapping[int, str],
) -> Sequence[Expiring]:
    """The batches of items with negative stock, less what it used (earliest expiry first,
    as FEFO selling would have taken them); a batch used up is left out."""
    if not owed:
        return []
    columns = (StockBalance.qty, StockBalance.id, StockBalance.warehouse_id, StockBalance.item_id)
    rows = await uow.session.execute(
        _in_horizon(select(*EXPIRING_COLUMNS, *columns), last_day, set())
        .where(StockBalance.item_id.in_(sorted({item for _, item in owed})))
        .order_by(StockBalance.expiry, Batch.received_at, Batch.id)
    )
    left: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO, owed)
    found = []
    for (
        batch_id,
        lot,
        expiry,
        sku,
        name,
        unit,
        cat,
        cost,
        qty,
        balance_id,
        wid,
        item_id,
    ) in rows.all():
        item = (wid, item_id)
        used = min(left[item], qty)
        left[item] -= used
        days = buckets.of(cat, expiry)
        if qty > used and days is not None:
            code = warehouses[wid]
            batch = BatchStock(
                batch_id, code, sku, name, unit, cat, lot, expiry, qty - used, cost, qty
            )
            found.append(Expiring(batch, days, balance_id))
    return found
