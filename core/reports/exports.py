"""``jxc export``: documents, lines, the audit log, stock and partners of a period, streamed.

Every table is read with a server-side cursor (``yield_per``) and written row by row, so
memory stays flat however long the period. Only posted and pending documents' own data is
read; nothing is written to the ledger.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select, type_coerce
from sqlalchemy.orm import aliased

from core import money
from core.common import (
    DOC_STATUS_NAMES,
    DOC_TYPE_NAMES,
    PARTNER_KIND_NAMES,
    DocStatus,
    DocType,
    InvalidInput,
)
from core.reports.period import Period
from core.reports.tables import Book, Cell, Column, Kind
from core.storage import (
    STREAM_BATCH_ROWS,
    AuditLog,
    Batch,
    Document,
    DocumentLine,
    Fixed,
    Item,
    Partner,
    StockMove,
    UnitOfWork,
    User,
    Warehouse,
    stream_rows,
)

ZERO = Decimal(0)
ToWarehouse = aliased(Warehouse)
# 经办人: the member of staff's name, or their WeCom userid when they are not (or no longer)
# a user here (a history imported from an old system).
ACTOR_NAME = func.coalesce(User.name, Document.created_by)
Progress = Callable[[int], None]

DOCUMENT_COLUMNS = (
    Column("单号", width=22),
    Column("类型", width=8),
    Column("状态", width=8),
    Column("仓库", width=8),
    Column("调入仓库", width=8),
    Column("往来单位", width=14),
    Column("经办人", width=10),
    Column("日期时间", Kind.INSTANT, 20),
    Column("过账时间", Kind.INSTANT, 20),
    Column("原单号", width=22),
    Column("行数", Kind.INT, 6),
    Column("数量合计", Kind.QTY, 10),
    Column("金额", Kind.MONEY, 12),
    Column("备注", width=20),
)
LINE_COLUMNS = (
    Column("单号", width=22),
    Column("类型", width=8),
    Column("状态", width=8),
    Column("仓库", width=8),
    Column("日期时间", Kind.INSTANT, 20),
    Column("经办人", width=10),
    Column("往来单位", width=14),
    Column("行号", Kind.INT, 6),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("分类", width=8),
    Column("单位", width=6),
    Column("数量", Kind.QTY, 10),
    Column("单价", Kind.PRICE, 10),
    Column("金额", Kind.MONEY, 12),
    Column("批号", width=10),
    Column("到期日", Kind.DAY, 12),
)
AUDIT_COLUMNS = (
    Column("序号", Kind.INT, 8),
    Column("时间", Kind.INSTANT, 20),
    Column("操作人", width=12),
    Column("操作", width=18),
    Column("对象", width=24),
    Column("内容", width=60),
    Column("哈希", width=20),
)
STOCK_COLUMNS = (
    Column("仓库", width=8),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("分类", width=8),
    Column("单位", width=6),
    Column("批号", width=10),
    Column("到期日", Kind.DAY, 12),
    Column("期初数量", Kind.QTY, 10),
    Column("本期增加", Kind.QTY, 10),
    Column("本期减少", Kind.QTY, 10),
    Column("期末数量", Kind.QTY, 10),
    Column("成本单价", Kind.PRICE, 10),
    Column("期末金额", Kind.MONEY, 12),
)
PARTNER_COLUMNS = (
    Column("类型", width=8),
    Column("名称", width=18),
    Column("单据数", Kind.INT, 8),
    Column("金额", Kind.MONEY, 12),
    Column("首次往来", Kind.INSTANT, 20),
    Column("最近往来", Kind.INSTANT, 20),
)


@dataclass(frozen=True)
class ExportKind:
    name: str
    sheet: str
    columns: tuple[Column, ...]
    rows: Callable[[UnitOfWork, Period, str | None], AsyncIterator[Sequence[Cell]]]
    count: Callable[[UnitOfWork, Period, str | None], Select[Any]]
    by_warehouse: bool = True


def _amount(qty: Decimal, price: Decimal | None) -> Decimal | None:
    """A priced line's amount to the cent, signed as its quantity, as balances count it."""
    return None if price is None else money.line_amount(qty, price)


def _in_period(statement: Select[Any], period: Period, warehouse: str | None) -> Select[Any]:
    statement = statement.where(
        Document.created_at >= period.since, Document.created_at < period.until
    )
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    return statement


def _line_query(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Document)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .join(Item, Item.id == DocumentLine.item_id)
        .outerjoin(Partner, Partner.id == Document.partner_id)
    )


def _count_lines(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    return _in_period(
        select(func.count())
        .select_from(Document)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .join(DocumentLine, DocumentLine.document_id == Document.id),
        period,
        warehouse,
    )


def _count_documents(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    return _in_period(
        select(func.count())
        .select_from(Document)
        .join(Warehouse, Warehouse.id == Document.warehouse_id),
        period,
        warehouse,
    )


def _names(doc_type: str, status: str) -> tuple[str, str]:
    return DOC_TYPE_NAMES.get(DocType(doc_type), doc_type), DOC_STATUS_NAMES.get(
        DocStatus(status), status
    )


async def document_rows(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> AsyncIterator[Sequence[Cell]]:
    """One row per document, its lines summed as they stream past in document order."""
    statement = _in_period(
        _line_query(
            Document.id, Document.number, Document.type, Document.status, Warehouse.code,
            ToWarehouse.code, Partner.name, ACTOR_NAME, Document.created_at,
            Document.posted_at, Document.original_number, Document.note,
            DocumentLine.qty, DocumentLine.price,
        )
        .outerjoin(ToWarehouse, ToWarehouse.id == Document.to_warehouse_id)
        .outerjoin(User, User.userid == Document.created_by),
        period,
        warehouse,
    ).order_by(Document.created_at, Document.id, DocumentLine.line_no)  # fmt: skip
    current: list[Any] | None = None
    current_id = None
    async for row in stream_rows(uow, statement):
        if row[0] != current_id:
            if current is not None:
                yield current
            type_name, status_name = _names(row[2], row[3])
            current_id = row[0]
            current = [
                row[1], type_name, status_name, row[4], row[5], row[6], row[7], row[8],
                row[9], row[10], 0, ZERO, None, row[11],
            ]  # fmt: skip
        assert current is not None
        current[10] += 1
        current[11] += row[12]
        line_amount = _amount(row[12], row[13])
        if line_amount is not None:
            current[12] = (current[12] or ZERO) + line_amount
    if current is not None:
        yield current


async def line_rows(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> AsyncIterator[Sequence[Cell]]:
    statement = _in_period(
        _line_query(
            Document.number, Document.type, Document.status, Warehouse.code,
            Document.created_at, ACTOR_NAME, Partner.name, DocumentLine.line_no,
            Item.sku, Item.name, Item.category, Item.unit, DocumentLine.qty, DocumentLine.price,
            DocumentLine.lot, DocumentLine.expiry,
        ).outerjoin(User, User.userid == Document.created_by),
        period,
        warehouse,
    ).order_by(Document.created_at, Document.id, DocumentLine.line_no)  # fmt: skip
    async for (number, doc_type, status, code, at, actor, partner, line_no, sku, name,
               category, unit, qty, price, lot, expiry) in stream_rows(uow, statement):  # fmt: skip
        type_name, status_name = _names(doc_type, status)
        yield (
            number, type_name, status_name, code, at, actor, partner, line_no, sku, name,
            category, unit, qty, price, _amount(qty, price), lot, expiry,
        )  # fmt: skip


def _audit_query(period: Period) -> Select[Any]:
    return select(AuditLog).where(AuditLog.at >= period.since, AuditLog.at < period.until)


def _count_audit(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    return select(func.count()).select_from(
        _audit_query(period).with_only_columns(AuditLog.id).subquery()
    )


async def audit_rows(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> AsyncIterator[Sequence[Cell]]:
    statement = _audit_query(period).with_only_columns(
        AuditLog.id, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.subject,
        AuditLog.payload, AuditLog.hash,
    ).order_by(AuditLog.id)  # fmt: skip
    async for entry_id, at, actor, action, subject, payload, digest in stream_rows(uow, statement):
        content = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        yield entry_id, at, actor, action, subject, content, digest[:16]


def _summed(condition: Any) -> Any:
    return type_coerce(
        func.coalesce(func.sum(case((condition, StockMove.qty), else_=0)), 0), Fixed()
    )


def _stock_query(period: Period, warehouse: str | None) -> Select[Any]:
    before = StockMove.posted_at < period.since
    within = (StockMove.posted_at >= period.since) & (StockMove.posted_at < period.until)
    statement = (
        select(
            Warehouse.code, Item.sku, Item.name, Item.category, Item.unit, Batch.lot,
            Batch.expiry, _summed(before), _summed(within & (StockMove.qty > 0)),
            _summed(within & (StockMove.qty < 0)), Item.cost,
        )
        .select_from(StockMove)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .join(Item, Item.id == StockMove.item_id)
        .join(Batch, Batch.id == StockMove.batch_id)
        .where(StockMove.posted_at < period.until)
        .group_by(
            Warehouse.code, Item.sku, Item.name, Item.category, Item.unit, Batch.id,
            Batch.lot, Batch.expiry, Item.cost,
        )
    )  # fmt: skip
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    return statement


def _count_stock(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    return select(func.count()).select_from(_stock_query(period, warehouse).subquery())


async def stock_rows(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> AsyncIterator[Sequence[Cell]]:
    """Per warehouse and batch: opening, in, out and closing quantity, closing value at cost."""
    statement = _stock_query(period, warehouse).order_by(Warehouse.code, Item.sku, Batch.lot)
    async for (
        code,
        sku,
        name,
        category,
        unit,
        lot,
        expiry,
        opening,
        added,
        taken,
        cost,
    ) in stream_rows(uow, statement):
        closing = opening + added + taken
        if opening == 0 and added == 0 and taken == 0:
            continue
        yield (
            code, sku, name, category, unit, lot, expiry, opening, added, -taken, closing,
            cost, closing * cost,
        )  # fmt: skip


def _count_partners(uow: UnitOfWork, period: Period, warehouse: str | None) -> Select[Any]:
    return _in_period(
        select(func.count(func.distinct(Document.partner_id)))
        .select_from(Document)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(Document.partner_id.is_not(None)),
        period,
        warehouse,
    )


@dataclass
class _PartnerTotals:
    kind: str
    name: str
    documents: set[int]
    amount: Decimal
    first: datetime
    last: datetime


async def partner_rows(
    uow: UnitOfWork, period: Period, warehouse: str | None
) -> AsyncIterator[Sequence[Cell]]:
    """Customers and suppliers dealt with in the period: documents, amount, first and last."""
    statement = _in_period(
        _line_query(
            Partner.id, Partner.kind, Partner.name, Document.id, Document.created_at,
            DocumentLine.qty, DocumentLine.price,
        ).where(Document.partner_id.is_not(None), Document.status == DocStatus.POSTED),
        period,
        warehouse,
    )  # fmt: skip
    totals: dict[int, _PartnerTotals] = {}
    async for partner_id, kind, name, document_id, at, qty, price in stream_rows(uow, statement):
        found = totals.get(partner_id)
        if found is None:
            found = totals[partner_id] = _PartnerTotals(kind, name, set(), ZERO, at, at)
        found.documents.add(document_id)
        found.amount += _amount(qty, price) or ZERO
        found.first = min(found.first, at)
        found.last = max(found.last, at)
    for t in sorted(totals.values(), key=lambda t: (t.kind, -t.amount, t.name)):
        yield (
            PARTNER_KIND_NAMES.get(t.kind, t.kind),
            t.name,
            len(t.documents),
            t.amount,
            t.first,
            t.last,
        )


KINDS = {
    kind.name: kind
    for kind in (
        ExportKind("documents", "单据", DOCUMENT_COLUMNS, document_rows, _count_documents),
        ExportKind("lines", "单据明细", LINE_COLUMNS, line_rows, _count_lines),
        ExportKind("audit", "操作日志", AUDIT_COLUMNS, audit_rows, _count_audit, False),
        ExportKind("stock", "库存", STOCK_COLUMNS, stock_rows, _count_stock),
        ExportKind("partners", "往来单位", PARTNER_COLUMNS, partner_rows, _count_partners),
    )
}


async def estimate(uow: UnitOfWork, kind: ExportKind, period: Period, warehouse: str | None) -> int:
    """How many rows the export reads (for a progress bar); cheap, one ``count``."""
    return int(await uow.session.scalar(kind.count(uow, period, warehouse)) or 0)


async def check_warehouse(uow: UnitOfWork, kind: ExportKind, warehouse: str | None) -> None:
    if warehouse is None:
        return
    if not kind.by_warehouse:
        raise InvalidInput(f"{kind.name} 不分仓库导出，请去掉 --warehouse")
    found = await uow.session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse))
    if found is None:
        raise InvalidInput(f"没有仓库 {warehouse}（jxc warehouses list 列出所有仓库）")


async def export(
    uow: UnitOfWork,
    kind: ExportKind,
    period: Period,
    warehouse: str | None,
    book: Book,
    progress: Progress | None = None,
) -> int:
    """Write ``kind``'s rows of ``period`` into ``book``; returns the number of rows."""
    sheet = book.sheet(kind.sheet, kind.columns)
    written = 0
    async for row in kind.rows(uow, period, warehouse):
        sheet.write(row)
        written += 1
        if progress is not None and written % STREAM_BATCH_ROWS == 0:
            progress(STREAM_BATCH_ROWS)
    if progress is not None:
        progress(written % STREAM_BATCH_ROWS)
    return written
