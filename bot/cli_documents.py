"""``jxc document NUMBER`` and ``jxc documents``: read documents, archived ones with --archive."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cli_ledger import unit_of_work
from core import archive, ledger
from core.archive import cutoff
from core.common import DocumentView, DomainError, Page, plain_qty
from core.ledger import MAX_PAGE, DocumentFilter
from core.storage import UnitOfWork

Pages = Callable[[UnitOfWork, DocumentFilter, str | None], Awaitable[Page[DocumentView]]]


async def document(args: argparse.Namespace) -> int:
    async with unit_of_work(args.settings, archive=args.archive) as uow, uow.fresh() as live:
        try:
            found = await archive.find_document(live, args.number)
        except DomainError as error:
            print(error.message, file=sys.stderr)
            return 1
    view, tz = found.document, uow.tz
    print(f"{view.number}\t{view.type}\t{view.status}" + ("\tarchived" if found.archived else ""))
    to = f" -> {view.to_warehouse}" if view.to_warehouse else ""
    print(f"warehouse\t{view.warehouse}{to}")
    print(f"created\t{_local(view.created_at, tz)}\t{view.created_by}")
    for key, value in (
        ("posted", view.posted_at and _local(view.posted_at, tz)),
        ("partner", view.partner),
        ("original", view.original_number),
        ("note", view.note),
    ):
        if value:
            print(f"{key}\t{value}")
    for line in view.lines:
        price = "" if line.price is None else f"\tprice {plain_qty(line.price)}"
        batch = f"\tlot {line.lot or '-'}\texpiry {line.expiry or '-'}"
        print(f"  {line.sku}\t{line.name}\t{plain_qty(line.qty)} {line.unit}{price}{batch}")
    print(f"total\t{view.total:.2f}")
    return 0


async def documents(args: argparse.Namespace) -> int:
    tz = ZoneInfo(args.settings.timezone)
    filters = DocumentFilter()
    if args.date is not None:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            print(f"--date: not a date (YYYY-MM-DD): {args.date}", file=sys.stderr)
            return 1
        filters = DocumentFilter(since=cutoff(day, tz), until=cutoff(day + timedelta(days=1), tz))
    async with unit_of_work(args.settings, archive=args.archive) as uow:
        async for view in _all(uow, filters, _live):
            print(_row(view, tz))
        if args.archive:
            async for view in _all(uow, filters, _archived):
                print(f"{_row(view, tz)}\tarchived")
    return 0


async def _live(uow: UnitOfWork, filters: DocumentFilter, cursor: str | None) -> Page[DocumentView]:
    async with uow.fresh() as live:
        return await ledger.list_documents(live, filters, cursor, limit=MAX_PAGE)


async def _archived(
    uow: UnitOfWork, filters: DocumentFilter, cursor: str | None
) -> Page[DocumentView]:
    return await archive.archived_documents(uow, filters, cursor, limit=MAX_PAGE)


async def _all(
    uow: UnitOfWork, filters: DocumentFilter, pages: Pages
) -> AsyncIterator[DocumentView]:
    cursor = None
    while True:
        page = await pages(uow, filters, cursor)
        for view in page.rows:
            yield view
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _row(view: DocumentView, tz: ZoneInfo) -> str:
    fields = [view.number, view.type, view.status, _local(view.created_at, tz), view.warehouse]
    return "\t".join([*fields, f"{view.total:.2f}", view.partner or "-"])


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
