"""``jxc archive --before DATE [--archive-url URL]``: move old documents to an archive database."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlalchemy.engine import make_url

from bot.cli_ledger import unit_of_work
from config import Settings
from core import archive as archiving
from core.db import create_engine


def archive_url(settings: Settings) -> str:
    """The default archive: ``archive.db`` beside the other data files."""
    return f"sqlite+aiosqlite:///{settings.data_dir / 'archive.db'}"


async def archive(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    try:
        before = date.fromisoformat(args.before)
    except ValueError:
        print(f"--before: not a date (YYYY-MM-DD): {args.before}", file=sys.stderr)
        return 1
    url = args.archive_url or archive_url(settings)
    if make_url(url) == make_url(settings.database_url):
        print("--archive-url must name another database than the live one", file=sys.stderr)
        return 1
    if args.archive_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    try:
        async with unit_of_work(settings) as uow:
            report = await archiving.archive_before(uow, engine, before)
    finally:
        await engine.dispose()
    print(report.summary())
    return 0
