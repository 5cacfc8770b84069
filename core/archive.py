"""``jxc archive --before DATE``: move old documents into an archive database (DESIGN §8).

A document leaves the live ledger when it is final (posted, rejected, cancelled, expired or
conflicted) and its ``posted_at`` (else ``created_at``) is before DATE, shop-local midnight.
Its lines, its stock moves and the approvals about it go with it. Kept back, so nothing still
open breaks: pending documents, documents with a pending approval, and sales that a pending
return names as its original. Returns against an archived sale can no longer cite it.

Order, so a crash loses nothing: the archive is written and committed first (rows already
there are skipped by id), then the live rows are deleted in one transaction. That transaction
also carries the archived moves forward: per (item, warehouse, batch) whose archived moves sum
to non-zero, one move of exactly that sum on the posted ``adjustment`` document ``QC-<DATE>``
(期初), dated just before DATE. Balances are not touched: they still equal the sum of moves.
A second run with the same DATE adds to that document instead of archiving it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from core import schema
from core.carry_forward import (
    ACTOR,
    BalanceKey,
    Carry,
    add_carry,
    carry_forward,
    cutoff,
    opening_number,
)
from core.doctypes import DocStatus
from core.models import (
    Approval,
    Batch,
    Document,
    DocumentLine,
    Item,
    Partner,
    StockMove,
    Warehouse,
)
from core.uow import UnitOfWork, in_transaction

CHUNK = 500
REFERENCE_TABLES: tuple[Any, ...] = (Warehouse, Partner, Item, Batch)


@dataclass(frozen=True)
class ArchiveReport:
    before: date
    documents: int = 0
    lines: int = 0
    moves: int = 0
    approvals: int = 0
    carried: int = 0
    opening: str | None = None

    def summary(self) -> str:
        opening = f"opening {self.opening}" if self.opening else "no opening document"
        return (
            f"archived before {self.before}: {self.documents} documents, {self.lines} lines, "
            f"{self.moves} moves, {self.approvals} approvals; "
            f"carried forward {self.carried} balances ({opening})"
        )


async def archive_before(uow: UnitOfWork, archive: AsyncEngine, before: date) -> ArchiveReport:
    """Copy final documents before ``before`` into ``archive``, then remove them from live."""
    await schema.upgrade(archive)
    async with uow.fresh() as live:
        ids = list((await live.session.scalars(_candidates(live, before))).all())
        if not ids:
            return ArchiveReport(before)
        async with archive.begin() as target:
            await _copy(live.session, target, ids)
    return await in_transaction(uow, lambda u: _remove(u, before, ids))


def _candidates(uow: UnitOfWork, before: date) -> Select[int]:
    pending_doc = aliased(Document)
    waiting_returns = select(pending_doc.original_number).where(
        pending_doc.status == DocStatus.PENDING, pending_doc.original_number.is_not(None)
    )
    open_approval = exists().where(
        Approval.document_id == Document.id, Approval.status == DocStatus.PENDING
    )
    return (
        select(Document.id)
        .where(
            Document.status != DocStatus.PENDING,
            func.coalesce(Document.posted_at, Document.created_at) < cutoff(before, uow.tz),
            Document.number != opening_number(before),
            ~open_approval,
            Document.number.not_in(waiting_returns),
        )
        .order_by(Document.id)
    )


def _owned(ids: Sequence[int]) -> list[tuple[Any, ColumnElement[bool]]]:
    """The rows that move with documents ``ids``, parents before children."""
    return [
        (Document, Document.id.in_(ids)),
        (DocumentLine, DocumentLine.document_id.in_(ids)),
        (StockMove, StockMove.document_id.in_(ids)),
        (Approval, Approval.document_id.in_(ids)),
    ]


async def _copy(live: AsyncSession, target: AsyncConnection, ids: list[int]) -> None:
    # Reference rows are copied whole (they are small) so every foreign key resolves.
    for model in REFERENCE_TABLES:
        await _copy_rows(live, target, model.__table__, select(model.__table__))
    for chunk in _chunks(ids):
        for model, where in _owned(chunk):
            await _copy_rows(live, target, model.__table__, select(model.__table__).where(where))


async def _copy_rows(
    live: AsyncSession, target: AsyncConnection, table: Table, query: Select[Any]
) -> None:
    rows = [dict(row._mapping) for row in await live.execute(query.order_by(table.c.id))]
    dialect = postgresql if target.dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), CHUNK):
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["id"])
        await target.execute(statement, rows[start : start + CHUNK])


async def _remove(uow: UnitOfWork, before: date, ids: list[int]) -> ArchiveReport:
    carry: dict[BalanceKey, Carry] = defaultdict(Carry)
    counts = dict.fromkeys(("documents", "lines", "moves", "approvals"), 0)
    for chunk in _chunks(ids):
        # Checked again: only documents still archivable, and already in the archive, go.
        still = _candidates(uow, before).where(Document.id.in_(chunk))
        current = list((await uow.session.scalars(still)).all())
        await add_carry(uow, carry, current)
        for (model, where), name in zip(
            reversed(_owned(current)), ("approvals", "moves", "lines", "documents"), strict=True
        ):
            result = await uow.session.execute(
                delete(model).where(where).execution_options(synchronize_session=False)
            )
            counts[name] += result.rowcount if isinstance(result, CursorResult) else 0
    carried = {key: c for key, c in carry.items() if c.qty != 0}
    opening = await carry_forward(uow, before, carried) if carried else None
    report = ArchiveReport(before, carried=len(carried), opening=opening, **counts)
    uow.record(ACTOR, "archive.run", f"archive:{before}", _audit_payload(report))
    return report


def _audit_payload(report: ArchiveReport) -> dict[str, Any]:
    return {
        "before": report.before.isoformat(),
        "documents": report.documents,
        "lines": report.lines,
        "moves": report.moves,
        "approvals": report.approvals,
        "carried": report.carried,
        "opening": report.opening,
    }


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
