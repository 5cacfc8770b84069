"""``jxc archive --before DATE [--archive-url URL]``: move old documents to an archive database."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from tqdm import tqdm

from bot.cli_ledger import unit_of_work
from config import Settings
from core import archive as archiving
from core.archive import ArchiveDatabase


async def archive(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    try:
        before = date.fromisoformat(args.before)
    except ValueError:
        print(f"--before: not a date (YYYY-MM-DD): {args.before}", file=sys.stderr)
        return 1
    url = args.archive_url or archiving.archive_url(settings)
    try:
        if archiving.is_live(url, settings.database_url):
            print("the archive must not be the live tables", file=sys.stderr)
            return 1
        database = ArchiveDatabase.open(url)
    except ValueError as error:
        print(f"archive: {error}", file=sys.stderr)
        return 1
    # No bar when stderr is not a terminal (disable=None): logs and pipes stay clean.
    bar = tqdm(desc="archiving", unit="doc", file=sys.stderr, disable=None)
    try:
        async with unit_of_work(settings) as uow:
            report = await archiving.archive_before(
                uow, database, before, on_progress=lambda done, total: _advance(bar, done, total)
            )
    finally:
        bar.close()
        await database.dispose()
    print(report.summary())
    return 0


def _advance(bar: tqdm[None], done: int, total: int) -> None:
    bar.total = total
    bar.update(done - bar.n)
