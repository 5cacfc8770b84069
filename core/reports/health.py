"""The health check's findings (DESIGN §10, issue 17): what an owner looks at instead of
reading the ledger. Everything here reads; nothing writes.

- 账实对比: each count line of the period compares the book before the count (counted −
  posted variance) with what was counted; the accuracy rate is the share of lines that matched.
- 损耗: write-offs and count shrink (negative variances) at the cost the moves carried, per
  category; the loss rate is that value as a share of the category's net sales.
- 滞销: stock on hand whose item has not sold for ``slow_days`` by the period's last day.
- 临期损失: write-offs of batches already expired on the day, and expired stock still held.
- 领用: what each department drew, per item, at the cost the moves carried.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select, type_coerce
from sqlalchemy.orm import aliased
from sqlalchemy.sql import over

from core import analytics, recipes
from core.analytics import LineMoves
from core.common import APPROVAL_STATUS_NAMES, DocType, exact_price
from core.recipes import DepartmentUse
from core.reports.period import Period
from core.storage import (
    Approval,
    AuditLog,
    Batch,
    Document,
    DocumentLine,
    Item,
    StockBalance,
    StockMove,
    UnitOfWork,
    Warehouse,
    stream_rows,
)

ZERO = Decimal(0)
SKUS_PER_QUERY = 500  # under SQLite's default limit of bound parameters
SLOW_DAYS = 30
UNFINISHED = ("rejected", "conflicted")


@dataclass(frozen=True)
class ItemFacts:
    sku: str
    name: str
    unit: str
    category: str
    cost: Decimal


@dataclass(frozen=True)
class Finding:
    kind: str
    at: datetime
    warehouse: str
    reference: str
    sku: str
    name: str
    detail: str
    value: Decimal


@dataclass
class CountTally:
    lines: int = 0
    exact: int = 0
    book: Decimal = ZERO
    counted: Decimal = ZERO
    variance_value: Decimal = ZERO

    def add(self, book: Decimal, counted: Decimal, value: Decimal) -> None:
        self.lines += 1
        self.exact += book == counted
        self.book += book
        self.counted += counted
        self.variance_value += value

    @property
    def accuracy(self) -> Decimal | None:
        return None if not self.lines else Decimal(self.exact) / Decimal(self.lines)


@dataclass
class LossTally:
    sales: Decimal = ZERO
    writeoff: Decimal = ZERO
    shrink: Decimal = ZERO

    @property
    def loss(self) -> Decimal:
        return self.writeoff + self.shrink

    @property
    def rate(self) -> Decimal | None:
        return None if self.sales <= 0 else self.loss / self.sales


@dataclass(frozen=True)
class SlowItem:
    warehouse: str
    item: ItemFacts
    on_hand: Decimal
    last_sale: datetime | None

    @property
    def value(self) -> Decimal:
        return self.on_hand * self.item.cost


@dataclass(frozen=True)
class ExpiryLoss:
    kind: str  # "报损" or "过期在库"
    warehouse: str
    reference: str
    item: ItemFacts
    lot: str
    expiry: date | None
    qty: Decimal
    value: Decimal


@dataclass
class HealthReport:
    period: Period
    warehouse: str | None
    slow_days: int
    sales: Decimal = ZERO
    returns: Decimal = ZERO
    sale_documents: int = 0
    audit_entries: int = 0
    daily_sales: dict[date, Decimal] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, CountTally] = field(default_factory=dict)
    weekly_counts: dict[date, CountTally] = field(default_factory=dict)
    losses: dict[str, LossTally] = field(default_factory=dict)
    slow: list[SlowItem] = field(default_factory=list)
    expiry: list[ExpiryLoss] = field(default_factory=list)
    # What each department drew (领用): quantity and value per item, largest first.
    issues: list[DepartmentUse] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing happened to stock: no sales, counts, losses, findings or stock held.

        Audit entries alone (staff set up, settings changed) give nothing to check.
        """
        return not (self.sale_documents or self.findings or self.counts or self.losses) and not (
            self.slow or self.expiry or self.issues
        )

    @property
    def count_total(self) -> CountTally:
        total = CountTally()
        for tally in self.counts.values():
            total.lines += tally.lines
            total.exact += tally.exact
            total.book += tally.book
            total.counted += tally.counted
            total.variance_value += tally.variance_value
        return total

    @property
    def loss_total(self) -> LossTally:
        total = LossTally()
        for tally in self.losses.values():
            total.sales += tally.sales
            total.writeoff += tally.writeoff
            total.shrink += tally.shrink
        return total

    @property
    def issued_value(self) -> Decimal:
        return sum((d.value for d in self.issues), ZERO)

    @property
    def slow_value(self) -> Decimal:
        return sum((s.value for s in self.slow), ZERO)

    @property
    def expiry_value(self) -> Decimal:
        return sum((e.value for e in self.expiry), ZERO)

    def findings_of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


async def _items(uow: UnitOfWork) -> dict[str, ItemFacts]:
    rows = await uow.session.execute(
        select(Item.sku, Item.name, Item.unit, Item.category, Item.cost)
    )
    return {sku: ItemFacts(sku, name, unit, category or "未分类", cost) for sku, name, unit,
            category, cost in rows.all()}  # fmt: skip


def _shop_day(moment: datetime, period: Period) -> date:
    return moment.astimezone(period.tz).date()


async def health_check(
    uow: UnitOfWork, period: Period, warehouse: str | None = None, slow_days: int = SLOW_DAYS
) -> HealthReport:
    report = HealthReport(period, warehouse, slow_days)
    report.daily_sales = {period.first + timedelta(days=n): ZERO for n in range(period.days)}
    items = await _items(uow)
    last_sales = await _sales(uow, report, items)
    lines = await analytics.posted_lines(
        uow, (DocType.COUNT, DocType.WRITEOFF), period.since, period.until
    )
    mine = [ln for ln in lines if warehouse is None or ln.warehouse == warehouse]
    _counts(report, items, [ln for ln in mine if ln.doc_type == DocType.COUNT])
    _writeoffs(report, items, [ln for ln in mine if ln.doc_type == DocType.WRITEOFF])
    report.findings.extend(await _negative_stock(uow, period, warehouse, items))
    report.findings.extend(await _unfinished_requests(uow, period, warehouse))
    report.findings.sort(key=lambda f: (f.at, f.kind))
    held, expired = await _stock_at_end(uow, period, warehouse, items)
    report.slow = await _slow_items(uow, report, held, last_sales, items)
    report.expiry = await _written_off_expired(uow, period, warehouse, items) + expired
    report.issues = await recipes.issued_by_department(uow, period.since, period.until, warehouse)
    report.audit_entries = await _audit_count(uow, period)
    return report


async def _sales(
    uow: UnitOfWork, report: HealthReport, items: dict[str, ItemFacts]
) -> dict[tuple[str, str], datetime]:
    """Tallies the period's sales into the report; the last sale per warehouse and item."""
    period = report.period
    documents: set[str] = set()
    last_sales: dict[tuple[str, str], datetime] = {}
    # Streamed: three months of a busy shop are millions of lines; only the tallies stay.
    statement = analytics.sales_query(period.since, period.until, report.warehouse)
    async for row in stream_rows(uow, statement):
        line = analytics.sales_line(row)
        category = items[line.sku].category
        tally = report.losses.setdefault(category, LossTally())
        signed = -line.amount if line.is_reversal else line.amount
        tally.sales += signed
        day = _shop_day(line.at, period)
        report.daily_sales[day] = report.daily_sales.get(day, ZERO) + signed
        if line.doc_type == DocType.SALE:
            key = (line.warehouse, line.sku)
            last_sales[key] = max(last_sales.get(key, line.at), line.at)
        if line.is_reversal:
            report.returns += line.amount
        else:
            report.sales += line.amount
            documents.add(line.document)
        if line.doc_type == DocType.SALE and line.qty > 0 and line.price < line.cost:
            report.findings.append(
                Finding(
                    "低于成本销售", line.at, line.warehouse, line.document, line.sku, line.name,
                    f"售价 {exact_price(line.price):f} < 成本 {exact_price(line.cost):f}，"
                    f"数量 {line.qty.normalize():f}",
                    (line.cost - line.price) * line.qty,
                )
            )  # fmt: skip
    report.sale_documents = len(documents)
    return last_sales


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _counts(report: HealthReport, items: dict[str, ItemFacts], lines: list[LineMoves]) -> None:
    for line in lines:
        item = items[line.sku]
        book = line.qty - line.moved
        report.counts.setdefault(item.category, CountTally()).add(book, line.qty, line.moved_value)
        week = _week(_shop_day(line.at, report.period))
        report.weekly_counts.setdefault(week, CountTally()).add(book, line.qty, line.moved_value)
        if line.moved != 0:
            report.findings.append(
                Finding(
                    "盘点差异", line.at, line.warehouse, line.document, line.sku, line.name,
                    f"账面 {book.normalize():f}，实盘 {line.qty.normalize():f}",
                    line.moved_value,
                )
            )  # fmt: skip
        if line.moved < 0:
            report.losses.setdefault(item.category, LossTally()).shrink -= line.moved_value
    report.weekly_counts = dict(sorted(report.weekly_counts.items()))


def _writeoffs(report: HealthReport, items: dict[str, ItemFacts], lines: list[LineMoves]) -> None:
    for line in lines:
        category = items[line.sku].category
        report.losses.setdefault(category, LossTally()).writeoff -= line.moved_value


def _running_balance(period: Period) -> Any:
    """The moves from the period's first to its last (by id, the order they were posted), each
    with its item's stock in its warehouse after it: the earlier moves' sum, then a running sum.
    """
    key = (StockMove.item_id, StockMove.warehouse_id)
    moved = aliased(StockMove)
    in_period = (moved.posted_at >= period.since, moved.posted_at < period.until)
    first = select(func.min(moved.id)).where(*in_period).scalar_subquery()
    last = select(func.max(moved.id)).where(*in_period).scalar_subquery()
    opening = (
        select(*key, func.sum(StockMove.qty).label("qty"))
        .where(StockMove.id < first)
        .group_by(*key)
        .subquery()
    )
    running = over(func.sum(StockMove.qty), partition_by=key, order_by=StockMove.id)
    after = type_coerce(func.coalesce(opening.c.qty, 0) + running, StockMove.qty.type)
    return (
        select(
            StockMove.id.label("move_id"),
            StockMove.posted_at.label("at"),
            StockMove.qty.label("qty"),
            after.label("after"),
        )
        .outerjoin(
            opening,
            and_(
                opening.c.item_id == StockMove.item_id,
                opening.c.warehouse_id == StockMove.warehouse_id,
            ),
        )
        .where(StockMove.id >= first, StockMove.id <= last)
    )


async def _negative_stock(
    uow: UnitOfWork, period: Period, warehouse: str | None, items: dict[str, ItemFacts]
) -> list[Finding]:
    """Moves that took an item's stock in a warehouse from zero or more to below zero."""
    # Summed per item and warehouse over all batches: a negative batch beside a positive one
    # is stock booked to the wrong lot, not stock that is not there.
    running = _running_balance(period).subquery()
    statement = (
        select(running.c.at, running.c.after, Document.number, Warehouse.code, Item.sku)
        .join(StockMove, StockMove.id == running.c.move_id)
        .join(Document, Document.id == StockMove.document_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .join(Item, Item.id == StockMove.item_id)
        .where(
            running.c.qty < 0,
            running.c.after < 0,
            running.c.after - running.c.qty >= 0,
            running.c.at >= period.since,
            running.c.at < period.until,
        )
    )
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    found = []
    for at, after, number, code, sku in (await uow.session.execute(statement)).all():
        item = items[sku]
        found.append(
            Finding(
                "负库存", at, code, number, sku, item.name,
                f"出库后库存 {after.normalize():f} {item.unit}", after * item.cost,
            )
        )  # fmt: skip
    return found


async def _unfinished_requests(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> list[Finding]:
    statement = (
        select(Approval, Warehouse.code, Item.sku, Item.name)
        .join(Warehouse, Warehouse.id == Approval.warehouse_id)
        .outerjoin(Item, Item.id == Approval.item_id)
        .where(
            Approval.status.in_(UNFINISHED),
            Approval.requested_at >= period.since,
            Approval.requested_at < period.until,
        )
    )
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    found = []
    for approval, code, sku, name in (await uow.session.execute(statement)).all():
        status = APPROVAL_STATUS_NAMES[approval.status]
        who = approval.decided_by or "系统"
        note = f"，{approval.decision_note}" if approval.decision_note else ""
        found.append(
            Finding(
                f"申请{status}", approval.requested_at, code, approval.number, sku or "",
                name or "", f"{approval.subject}，{approval.requested_by} 申请，{who}{note}",
                ZERO,
            )
        )  # fmt: skip
    return found


def _on_hand(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    """Positive stock per warehouse and batch at the period's end: (code, sku, lot, expiry,
    qty), a row per batch, so its readers stream it (a million batches would not fit)."""
    if period.until > uow.now():
        # The period reaches today: the balances are the stock, no history to sum.
        qty: Any = StockBalance.qty
        statement = (
            select(Warehouse.code, Item.sku, Batch.lot, Batch.expiry, qty)
            .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .join(Item, Item.id == StockBalance.item_id)
            .join(Batch, Batch.id == StockBalance.batch_id)
            .where(qty > 0)
        )
    else:
        qty = func.sum(StockMove.qty)
        statement = (
            select(Warehouse.code, Item.sku, Batch.lot, Batch.expiry, qty)
            .select_from(StockMove)
            .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
            .join(Item, Item.id == StockMove.item_id)
            .join(Batch, Batch.id == StockMove.batch_id)
            .where(StockMove.posted_at < period.until)
            .group_by(Warehouse.code, Item.sku, Batch.id, Batch.lot, Batch.expiry)
            .having(qty > 0)
        )
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    return statement.order_by(Warehouse.code, Item.sku, Batch.expiry)


async def _stock_at_end(
    uow: UnitOfWork, period: Period, warehouse: str | None, items: dict[str, ItemFacts]
) -> tuple[dict[tuple[str, str], Decimal], list[ExpiryLoss]]:
    """One pass over the period-end stock: what each item holds per warehouse (for slow
    stock) and the batches held past their expiry."""
    held: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    expired: list[ExpiryLoss] = []
    async for code, sku, lot, expiry, qty in stream_rows(uow, _on_hand(uow, period, warehouse)):
        held[(code, sku)] += qty
        if expiry is not None and expiry < period.last:
            value = qty * items[sku].cost
            expired.append(ExpiryLoss("过期在库", code, "", items[sku], lot, expiry, qty, value))
    return held, expired


async def _slow_items(
    uow: UnitOfWork,
    report: HealthReport,
    held: dict[tuple[str, str], Decimal],
    last_sales: dict[tuple[str, str], datetime],
    items: dict[str, ItemFacts],
) -> list[SlowItem]:
    period = report.period
    unsold = {sku for code, sku in held if (code, sku) not in last_sales}
    last_sales = last_sales | await _sold_before(uow, period, unsold)
    cutoff = period.until - timedelta(days=report.slow_days)
    slow = [
        SlowItem(code, items[sku], qty, last_sales.get((code, sku)))
        for (code, sku), qty in held.items()
        if (last_sales.get((code, sku)) or cutoff) <= cutoff
    ]
    return sorted(slow, key=lambda s: -s.value)


async def _sold_before(
    uow: UnitOfWork, period: Period, skus: set[str]
) -> dict[tuple[str, str], datetime]:
    """The last sale before the period of each item held but not sold in it, per warehouse.

    Only those items' lines are read (through their index): an item that sold in the period
    has its last sale from the period's own pass, and reading the whole history's sales for
    the rest would cost more than the rest of the check.
    """
    found: dict[tuple[str, str], datetime] = {}
    ordered = sorted(skus)
    for start in range(0, len(ordered), SKUS_PER_QUERY):
        rows = await uow.session.execute(
            select(Warehouse.code, Item.sku, func.max(Document.created_at))
            .select_from(DocumentLine)
            .join(Item, Item.id == DocumentLine.item_id)
            .join(Document, Document.id == DocumentLine.document_id)
            .join(Warehouse, Warehouse.id == Document.warehouse_id)
            .where(
                Item.sku.in_(ordered[start : start + SKUS_PER_QUERY]),
                Document.type == DocType.SALE,
                Document.status == "posted",
                Document.created_at < period.since,
            )
            .group_by(Warehouse.code, Item.sku)
        )
        found.update({(code, sku): _aware(at) for code, sku, at in rows.all()})
    return found


def _aware(moment: datetime | str) -> datetime:
    """``max()`` over a column loses its type on SQLite: the value comes back as naive UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _written_off_expired(
    uow: UnitOfWork, period: Period, warehouse: str | None, items: dict[str, ItemFacts]
) -> list[ExpiryLoss]:
    statement = (
        select(Document.number, Document.created_at, Warehouse.code, Item.sku, Batch.lot,
               Batch.expiry, StockMove.qty, StockMove.unit_cost)
        .select_from(StockMove)
        .join(Document, Document.id == StockMove.document_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .join(Item, Item.id == StockMove.item_id)
        .join(Batch, Batch.id == StockMove.batch_id)
        .where(
            and_(Document.type == DocType.WRITEOFF, Document.status == "posted"),
            Document.created_at >= period.since,
            Document.created_at < period.until,
            Batch.expiry.is_not(None),
        )
        .order_by(Document.created_at, StockMove.id)
    )  # fmt: skip
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    losses = []
    for number, at, code, sku, lot, expiry, qty, unit_cost in (
        await uow.session.execute(statement)
    ).all():
        if expiry is not None and expiry <= _shop_day(at, period):
            losses.append(
                ExpiryLoss("报损", code, number, items[sku], lot, expiry, -qty, -qty * unit_cost)
            )
    return losses


async def _audit_count(uow: UnitOfWork, period: Period) -> int:
    found = await uow.session.scalar(
        select(func.count(AuditLog.id)).where(
            AuditLog.at >= period.since, AuditLog.at < period.until
        )
    )
    return int(found or 0)
