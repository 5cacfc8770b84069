"""Loading documents with everything a view needs, and turning them into ``DocumentView``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.common import DocumentView, LineView, NotFound
from core.ledger.planning import PlanLine
from core.storage import Document, DocumentLine, UnitOfWork

DOCUMENT_LOAD = (
    selectinload(Document.lines).selectinload(DocumentLine.item),
    selectinload(Document.warehouse),
    selectinload(Document.to_warehouse),
    selectinload(Document.partner),
)


async def load_document(uow: UnitOfWork, number: str, *, lock: bool = False) -> Document:
    wanted = number.strip()
    statement = select(Document).where(Document.number.in_({wanted, wanted.upper()}))
    if lock:
        statement = statement.with_for_update(of=Document)
    document = await uow.session.scalar(
        statement.options(*DOCUMENT_LOAD).execution_options(populate_existing=True)
    )
    if document is None:
        raise NotFound(f"没有编号为 {number} 的单据")
    return document


def document_view(document: Document) -> DocumentView:
    return DocumentView(
        id=document.id,
        number=document.number,
        type=document.type,
        status=document.status,
        warehouse=document.warehouse.code,
        to_warehouse=None if document.to_warehouse is None else document.to_warehouse.code,
        partner=None if document.partner is None else document.partner.name,
        created_by=document.created_by,
        created_at=document.created_at,
        posted_at=document.posted_at,
        original_number=document.original_number,
        note=document.note,
        lines=tuple(line_view(line) for line in document.lines),
    )


def line_view(line: DocumentLine | PlanLine) -> LineView:
    """A line as shown, whether stored already or still being posted."""
    item = line.item
    return LineView(item.sku, item.name, item.unit, line.qty, line.price, line.lot, line.expiry)
