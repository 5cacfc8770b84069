"""Documents ``jxc archive`` moved out of the live ledger, read back from the archive database.

The archive holds the same tables as the live database, so the live queries run on it through a
unit of work over ``uow.archive``'s sessions; it is only ever read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import ledger
from core.common import DocumentView, NotFound, Page
from core.ledger import DocumentFilter
from core.storage import UnitOfWork


@dataclass(frozen=True)
class FoundDocument:
    document: DocumentView
    archived: bool


async def find_document(uow: UnitOfWork, number: str) -> FoundDocument:
    """The live document ``number``, else the archived one; ``NotFound`` when neither has it."""
    try:
        return FoundDocument(await ledger.document(uow, number), archived=False)
    except NotFound:
        archive = await _archive(uow)
        if archive is None:
            raise
    async with archive:
        return FoundDocument(await ledger.document(archive, number), archived=True)


async def archived_documents(
    uow: UnitOfWork, filters: DocumentFilter, cursor: str | None = None, limit: int = 10
) -> Page[DocumentView]:
    """A page of archived documents, newest first, as ``queries.list_documents`` pages."""
    archive = await _archive(uow)
    if archive is None:
        return Page((), None)
    async with archive:
        return await ledger.list_documents(archive, filters, cursor, limit)


async def _archive(uow: UnitOfWork) -> UnitOfWork | None:
    """A unit of work reading the archive; ``None`` when nothing was ever archived."""
    if uow.archive is None or not await uow.archive.exists():
        return None
    return UnitOfWork(uow.archive.sessions, uow.clock, uow.tz, settings=uow.settings)
