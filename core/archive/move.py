"""``jxc archive --before DATE``: move old documents into an archive database (DESIGN §8).

A document leaves the live ledger when it is final (posted, rejected, cancelled, expired or
conflicted) and its ``posted_at`` (else ``created_at``) is before DATE, shop-local midnight.
Its lines, its stock moves and the approvals about it go with it. Kept back, so nothing still
open breaks: pending documents, documents with a pending approval, and sales that a pending
return names as its original. Returns against an archived sale can no longer cite it.

Documents go a chunk at a time (oldest ids first), so memory and lock times do not grow with
the archive. Order per chunk, so a crash loses nothing: the chunk is written to the archive and
committed first (rows already there are skipped by id), then its live rows are deleted in one
transaction. That transaction also carries the chunk's moves forward: per (item, warehouse,
batch) whose moves sum to non-zero, one move of exactly that sum on the posted ``adjustment``
document ``QC-<DATE>`` (期初), dated just before DATE. Balances are not touched: after every
commit they still equal the sum of moves. A second run with the same DATE adds to that
document instead of archiving it, and a run cut short is finished by running it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
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

from core import money
from core.archive.carry_forward import (
    ACTOR,
    BalanceKey,
    Carry,
    add_carry,
    carry_forward,
    cutoff,
    opening_number,
)
from core.archive.database import ArchiveDatabase
from core.common import DocStatus
from core.storage import (
    Approval,
    Batch,
    Document,
    DocumentLine,
    Item,
    Partner,
    StockMove,
    UnitOfWork,
    Warehouse,
    in_transaction,
)

DOCUMENTS_PER_CHUNK = 5_000
ROWS_PER_INSERT = 500
REFERENCE_TABLES: tuple[Any, ...] = (Warehouse, Partner, Item, Batch)
COUNTED = ("documents", "lines", "moves", "approvals")

# Called after each chunk with the documents done so far and the total to do.
Progress = Callable[[int, int], None]


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


@dataclass
class _Removed:
    """What one chunk's live transaction removed and carried forward."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    carried: set[BalanceKey] = field(default_factory=set)
    opening: str | None = None

    def add(self, other: _Removed) -> None:
        for name in COUNTED:
            self.counts[name] += other.counts[name]
        self.carried |= other.carried
        self.opening = other.opening or self.opening


async def archive_before(
    uow: UnitOfWork,
    archive: ArchiveDatabase,
    before: date,
    *,
    chunk: int = DOCUMENTS_PER_CHUNK,
    on_progress: Progress | None = None,
) -> ArchiveReport:
    """Move final documents before ``before`` into ``archive``, ``chunk`` documents at a time."""
    await archive.prepare()
    async with uow.fresh() as live:
        total = await live.session.scalar(
            select(func.count()).select_from(_candidates(live, before).subquery())
        )
    if not total:
        return ArchiveReport(before)
    await _copy_references(uow, archive.engine)
    done, last_id = 0, 0
    result = _Removed()
    while ids := await _next_chunk(uow, before, last_id, chunk):
        await _copy_documents(uow, archive.engine, ids)
        result.add(await in_transaction(uow, partial(_remove, before=before, ids=ids)))
        done, last_id = done + len(ids), ids[-1]
        if on_progress is not None:
            on_progress(done, max(total, done))
    return ArchiveReport(
        before, carried=len(result.carried), opening=result.opening, **result.counts
    )


def _candidates(uow: UnitOfWork, before: date) -> Select[int]:
    pending_doc = aliased(Document)
    waiting_returns = select(pending_doc.original_number).where(
        pending_doc.status == DocStatus.PENDING, pending_doc.original_number.is_not(None)
    )
    open_approval = exists().where(
        Approval.document_id == Document.id, Approval.status == DocStatus.PENDING
    )
    return select(Document.id).where(
        Document.status != DocStatus.PENDING,
        func.coalesce(Document.posted_at, Document.created_at) < cutoff(before, uow.tz),
        Document.number != opening_number(before),
        ~open_approval,
        Document.number.not_in(waiting_returns),
    )


async def _next_chunk(uow: UnitOfWork, before: date, after_id: int, size: int) -> list[int]:
    async with uow.fresh() as live:
        statement = (
            _candidates(live, before)
            .where(Document.id > after_id)
            .order_by(Document.id)
            .limit(size)
        )
        return list((await live.session.scalars(statement)).all())


def _owned(ids: Sequence[int]) -> list[tuple[Any, ColumnElement[bool]]]:
    """The rows that move with documents ``ids``, parents before children."""
    return [
        (Document, Document.id.in_(ids)),
        (DocumentLine, DocumentLine.document_id.in_(ids)),
        (StockMove, StockMove.document_id.in_(ids)),
        (Approval, Approval.document_id.in_(ids)),
    ]


async def _copy_references(uow: UnitOfWork, archive: AsyncEngine) -> None:
    """Warehouses, partners, items and batches, so every archived foreign key resolves."""
    async with uow.fresh() as live, archive.begin() as target:
        for model in REFERENCE_TABLES:
            await _copy_rows(live.session, target, model.__table__, select(model.__table__))


async def _copy_documents(uow: UnitOfWork, archive: AsyncEngine, ids: Sequence[int]) -> None:
    async with uow.fresh() as live, archive.begin() as target:
        for model, where in _owned(ids):
            table = model.__table__
            await _copy_rows(live.session, target, table, select(table).where(where))


async def _copy_rows(
    live: AsyncSession, target: AsyncConnection, table: Table, query: Select[Any]
) -> None:
    dialect = postgresql if target.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["id"])
    rows = await live.stream(
        query.order_by(table.c.id).execution_options(yield_per=ROWS_PER_INSERT)
    )
    async for partition in rows.partitions():
        await target.execute(statement, [dict(row._mapping) for row in partition])


async def _remove(uow: UnitOfWork, *, before: date, ids: list[int]) -> _Removed:
    # Checked again: only documents still archivable, and already in the archive, go.
    still = _candidates(uow, before).where(Document.id.in_(ids))
    current = list((await uow.session.scalars(still)).all())
    removed = _Removed()
    if not current:
        return removed
    carry: dict[BalanceKey, Carry] = defaultdict(Carry)
    await add_carry(uow, carry, current)
    await money.detach_archived(uow, current)
    for (model, where), name in zip(reversed(_owned(current)), reversed(COUNTED), strict=True):
        result = await uow.session.execute(
            delete(model).where(where).execution_options(synchronize_session=False)
        )
        removed.counts[name] = result.rowcount if isinstance(result, CursorResult) else 0
    carried = {key: c for key, c in carry.items() if c.qty != 0}
    if carried:
        removed.opening = await carry_forward(uow, before, carried)
        removed.carried = set(carried)
    payload = {
        "before": before.isoformat(),
        "first_id": current[0],
        "last_id": current[-1],
        **removed.counts,
        "carried": len(carried),
        "opening": removed.opening,
    }
    uow.record(ACTOR, "archive.run", f"archive:{before}", payload)
    return removed
