"""Read models: stock of an item with batches, and documents with keyset pagination."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, String, and_, bindparam, func, or_, select

from core import catalog
from core.common import (
    BatchStock,
    DocStatus,
    DocType,
    DocumentView,
    InvalidInput,
    ItemStock,
    Page,
    WarehouseStock,
)
from core.ledger.batches import expiry_passed
from core.ledger.documents_view import DOCUMENT_LOAD, document_view, load_document
from core.storage import (
    QTY,
    Batch,
    Document,
    DocumentLine,
    Partner,
    ReadStatement,
    StockBalance,
    UnitOfWork,
    Warehouse,
    tag,
    typed_null,
)

MAX_PAGE = 50
OUTGOING = (
    DocType.SALE,
    DocType.PURCHASE_RETURN,
    DocType.TRANSFER,
    DocType.WRITEOFF,
    DocType.ISSUE,
)
# Built once: 查 runs it for every question, as a Core statement on the transaction's
# connection (plain rows: the ORM's execution and loading cost more than the reads). An
# item's balances (warehouse code, batch id as ``ref``, qty, lot, expiry) and the pending
# outgoing documents (their id as ``ref``) in one statement: each costs more to run than to
# answer.
_BALANCE, _PENDING = "balance", "pending"
_STOCK_OF_ITEM = ReadStatement(
    select(
        tag(_BALANCE),
        Warehouse.code,
        StockBalance.batch_id.label("ref"),
        StockBalance.qty,
        Batch.lot,
        Batch.expiry,
    )
    .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
    .join(Batch, Batch.id == StockBalance.batch_id)
    .where(StockBalance.item_id == bindparam("item"))
    .union_all(
        select(
            tag(_PENDING),
            typed_null(String()),
            Document.id,
            typed_null(QTY),
            typed_null(String()),
            typed_null(Date()),
        ).where(Document.status == DocStatus.PENDING, Document.type.in_(OUTGOING))
    )
)
_RESERVED_BY_PENDING = (
    select(Warehouse.code, func.sum(DocumentLine.qty))
    .join(Document, Document.id == DocumentLine.document_id)
    .join(Warehouse, Warehouse.id == Document.warehouse_id)
    .where(
        DocumentLine.document_id.in_(bindparam("pending", expanding=True)),
        DocumentLine.item_id == bindparam("item"),
        DocumentLine.qty > 0,
    )
    .group_by(Warehouse.code)
)


async def stock_of(uow: UnitOfWork, query: str, warehouse: str | None = None) -> ItemStock:
    item_id, item = await catalog.resolve_item_with_id(uow, query)
    only = None if warehouse is None else (await catalog.warehouse_by_code(uow, warehouse)).code
    connection = await uow.read_connection()
    grouped: dict[str, list[tuple[int, Decimal, str, date | None]]] = {}
    pending = []
    for kind, code, ref, qty, lot, expiry in await _STOCK_OF_ITEM.rows(
        connection, {"item": item_id}
    ):
        if kind == _PENDING:
            pending.append(ref)
        elif only is None or code == only:
            grouped.setdefault(code, []).append((ref, qty, lot, expiry))
    reserved = await _reserved(uow, item_id, pending)
    today = uow.today()
    warehouses = []
    for code, balances in sorted(grouped.items()):
        batches = tuple(
            BatchStock(lot, expiry, qty, expiry_passed(expiry, today))
            for batch_id, qty, lot, expiry in sorted(
                balances, key=lambda b: (b[3] or today.max, b[0])
            )
            if qty != 0
        )
        on_hand = sum((qty for _, qty, _, _ in balances), Decimal(0))
        warehouses.append(WarehouseStock(code, on_hand, reserved.get(code, Decimal(0)), batches))
    return ItemStock(
        sku=item.sku,
        name=item.name,
        unit=item.unit,
        price=item.price,
        barcode=item.barcode,
        category=item.category,
        reorder_point=item.reorder_point,
        warehouses=tuple(warehouses),
    )


async def document(uow: UnitOfWork, number: str) -> DocumentView:
    return document_view(await load_document(uow, number))


async def _reserved(uow: UnitOfWork, item_id: int, pending: list[int]) -> dict[str, Decimal]:
    """Stock promised to the pending (awaiting approval) outgoing documents, per warehouse."""
    # Few documents are pending and an item may have many lines: the pending documents are
    # found first (status index), so the cost does not grow with the item's history.
    if not pending:
        return {}
    connection = await uow.read_connection()
    rows = await connection.execute(_RESERVED_BY_PENDING, {"pending": pending, "item": item_id})
    return {code: qty for code, qty in rows}


@dataclass(frozen=True)
class DocumentFilter:
    since: datetime | None = None
    until: datetime | None = None
    partner: str | None = None
    status: str | None = None
    type: str | None = None
    created_by: str | None = None
    warehouses: tuple[str, ...] | None = None


async def list_documents(
    uow: UnitOfWork, filters: DocumentFilter, cursor: str | None = None, limit: int = 10
) -> Page[DocumentView]:
    """Newest first; ``cursor`` continues after the last row of the previous page."""
    limit = max(1, min(limit, MAX_PAGE))
    statement = _filtered(select(Document), filters)
    if cursor is not None:
        created_at, doc_id = _decode_cursor(cursor)
        # The first bound is implied by the second; it is there for the planner, which
        # turns it into a range on (created_at, id) and starts at the cursor. Without it
        # SQLite scans the index from the newest row, and page 10 000 costs 100 000 rows.
        statement = statement.where(
            Document.created_at <= created_at,
            or_(
                Document.created_at < created_at,
                and_(Document.created_at == created_at, Document.id < doc_id),
            ),
        )
    statement = (
        statement.order_by(Document.created_at.desc(), Document.id.desc())
        .limit(limit + 1)
        .options(*DOCUMENT_LOAD)
    )
    rows: list[Document] = list((await uow.session.scalars(statement)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_after(rows[-1]) if more else None
    return Page(tuple(document_view(d) for d in rows), next_cursor)


def _filtered(statement: Select[Any], f: DocumentFilter) -> Select[Any]:
    if f.since is not None:
        statement = statement.where(Document.created_at >= f.since)
    if f.until is not None:
        statement = statement.where(Document.created_at < f.until)
    if f.status is not None:
        statement = statement.where(Document.status == f.status)
    if f.type is not None:
        statement = statement.where(Document.type == f.type)
    if f.created_by is not None:
        statement = statement.where(Document.created_by == f.created_by)
    if f.partner is not None:
        statement = statement.join(Partner, Partner.id == Document.partner_id).where(
            Partner.name == f.partner
        )
    if f.warehouses is not None:
        # A transfer shows in the lists of both the sending and the receiving store.
        codes = select(Warehouse.id).where(Warehouse.code.in_(f.warehouses))
        statement = statement.where(
            or_(Document.warehouse_id.in_(codes), Document.to_warehouse_id.in_(codes))
        )
    return statement


def cursor_after(document: Document) -> str:
    """The cursor of the page that starts after ``document`` in the list's order."""
    raw = json.dumps([document.created_at.isoformat(), document.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        created_at, doc_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created_at), int(doc_id)
    except (ValueError, TypeError) as error:
        raise InvalidInput("翻页标记无效，请重新查询单据") from error
