"""``jxc archive`` and the money side: the moved documents' open items stay, so balances,
ageing and ``jxc audit verify`` are unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from core import archive, audit, money
from core.archive import ArchiveDatabase
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop
from tests.support.money import build_history, import_partners_and_prices, pay


@pytest.fixture
async def sqlite_archive(tmp_path: Path) -> AsyncIterator[ArchiveDatabase]:
    database = ArchiveDatabase.open(f"sqlite+aiosqlite:///{tmp_path / 'archive.db'}")
    yield database
    await database.dispose()


async def test_archiving_old_partner_documents_keeps_balances_and_verify(
    uow: UnitOfWork, clock: ManualClock, tmp_path: Path, sqlite_archive: ArchiveDatabase
) -> None:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    await build_history(uow, clock, tmp_path)
    before = await run(uow, lambda u: money.ageing(u, "ar"))
    report = await archive.archive_before(uow, sqlite_archive, date(2026, 11, 1))
    assert report.documents > 0
    after = await run(uow, lambda u: money.ageing(u, "ar"))
    assert after == before
    assert await run(uow, audit.first_problem) is None
    await pay(uow, "ar", "张三", "6", "现金")  # settles XS-B, which now lives in the archive
    assert (await run(uow, lambda u: money.ageing(u, "ar"))).rows[0].buckets[2] == 0
    assert await run(uow, audit.first_problem) is None
