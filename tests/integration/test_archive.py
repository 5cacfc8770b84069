"""``jxc archive``: old documents move to an archive database; the live ledger stays exact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from config import Settings
from core import approvals, archive, audit, ledger
from core.archive import ArchiveDatabase
from core.common import DocumentView, ItemStock, NeedsApproval, Posted
from core.ledger import DocumentFilter, Line, Receive, Sell, Transfer
from core.storage import (
    Approval,
    AuditLog,
    Document,
    DocumentLine,
    StockMove,
    UnitOfWork,
    create_sessionmaker,
)
from tests.support.cli import jxc
from tests.support.clock import ManualClock
from tests.support.ledger import ITEMS, run, seed_shop

BEFORE = date(2026, 11, 27)
TABLES = (Document, DocumentLine, StockMove, Approval, AuditLog)


@dataclass
class Shop:
    uow: UnitOfWork
    clock: ManualClock
    old: list[str]  # final documents dated before BEFORE
    kept: list[str]  # pending, or on/after BEFORE
    rejected_approval: str
    pending_approval: str


@pytest.fixture
async def sqlite_archive(tmp_path: Path) -> AsyncIterator[ArchiveDatabase]:
    database = ArchiveDatabase.open(f"sqlite+aiosqlite:///{tmp_path / 'archive.db'}")
    yield database
    await database.dispose()


async def submit(uow: UnitOfWork, cmd: Receive | Sell | Transfer) -> Posted | NeedsApproval:
    return await run(uow, lambda u: ledger.submit(u, cmd))


async def posted(uow: UnitOfWork, cmd: Receive | Sell | Transfer) -> str:
    result = await submit(uow, cmd)
    assert isinstance(result, Posted)
    return result.document.number


async def needs_approval(uow: UnitOfWork, cmd: Sell) -> tuple[str, str]:
    result = await submit(uow, cmd)
    assert isinstance(result, NeedsApproval) and result.approval.document is not None
    return result.approval.document.number, result.approval.number


def line(sku: str, qty: str, lot: str | None = None, expiry: date | None = None) -> Line:
    return Line(sku, Decimal(qty), lot=lot, expiry=expiry)


@pytest.fixture
async def shop(uow: UnitOfWork, clock: ManualClock) -> Shop:
    """11-26 (before BEFORE): history, then a sale left pending at 23:00; 11-27: more."""
    await seed_shop(uow)
    milk = (
        line("MILK", "10", "M1", date(2026, 12, 5)),
        line("MILK", "10", "M2", date(2026, 12, 9)),
    )
    old = [
        await posted(uow, Receive(warehouse="MAIN", actor="clerk1", lines=(line("COKE", "24"),))),
        await posted(uow, Receive(warehouse="MAIN", actor="clerk1", lines=milk)),
        await posted(uow, Sell(warehouse="MAIN", actor="clerk1", lines=(line("COKE", "5"),))),
        await posted(uow, Sell(warehouse="MAIN", actor="clerk1", lines=(line("MILK", "3"),))),
        await posted(
            uow,
            Transfer(warehouse="MAIN", to_warehouse="B1", actor="boss", lines=(line("COKE", "4"),)),
        ),
    ]
    rejected, rejected_approval = await needs_approval(
        uow, Sell(warehouse="MAIN", actor="clerk1", lines=(line("COKE", "50"),))
    )
    await run(uow, lambda u: approvals.decide(u, rejected_approval, "mgr1", approve=False))
    clock.advance(hours=13)
    waiting, pending_approval = await needs_approval(
        uow, Sell(warehouse="MAIN", actor="clerk2", lines=(line("COKE", "60"),))
    )
    clock.advance(hours=11)  # 10:00 on BEFORE itself, within the approval's 24 hours
    kept = [
        waiting,
        await posted(uow, Receive(warehouse="MAIN", actor="clerk1", lines=(line("SPRITE", "6"),))),
        await posted(uow, Sell(warehouse="MAIN", actor="clerk1", lines=(line("MILK", "2"),))),
    ]
    return Shop(uow, clock, [*old, rejected], kept, rejected_approval, pending_approval)


async def stock_levels(uow: UnitOfWork) -> dict[str, ItemStock]:
    async def levels(u: UnitOfWork) -> dict[str, ItemStock]:
        return {item.sku: await ledger.stock_of(u, item.sku) for item in ITEMS}

    return await run(uow, levels)


async def views(uow: UnitOfWork, numbers: list[str]) -> list[DocumentView]:
    async def read(u: UnitOfWork) -> list[DocumentView]:
        return [await ledger.document(u, number) for number in numbers]

    return await run(uow, read)


async def live_numbers(uow: UnitOfWork) -> set[str]:
    page = await run(uow, lambda u: ledger.list_documents(u, DocumentFilter(), limit=50))
    assert page.next_cursor is None
    return {d.number for d in page.rows}


async def counts(session: AsyncSession) -> dict[str, int]:
    return {
        model.__tablename__: (
            await session.execute(select(func.count()).select_from(model))
        ).scalar_one()
        for model in TABLES
    }


async def row_counts(database: ArchiveDatabase) -> dict[str, int]:
    async with database.sessions() as session:
        return await counts(session)


async def archived(database: ArchiveDatabase, number: str) -> tuple[int, int, int]:
    """Lines, moves and approvals of document ``number`` in the archive."""
    async with database.sessions() as session:
        doc_id = await session.scalar(select(Document.id).where(Document.number == number))
        assert doc_id is not None, f"{number} not in the archive"
        counts = [
            await session.scalar(
                select(func.count()).select_from(model).where(model.document_id == doc_id)
            )
            for model in (DocumentLine, StockMove, Approval)
        ]
    return int(counts[0] or 0), int(counts[1] or 0), int(counts[2] or 0)


async def test_archiving_keeps_stock_and_verify_and_moves_old_documents_out(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    uow = shop.uow
    stock_before = await stock_levels(uow)
    kept_before = await views(uow, shop.kept)

    report = await archive.archive_before(uow, sqlite_archive, BEFORE)

    assert report.documents == len(shop.old) and report.approvals == 1
    assert report.opening == "QC-20261127" and report.carried > 0
    assert await stock_levels(uow) == stock_before
    assert await run(uow, audit.first_problem) is None
    numbers = await live_numbers(uow)
    assert numbers == {*shop.kept, "QC-20261127"}
    assert await views(uow, shop.kept) == kept_before
    for number in shop.old:
        lines, moves, approvals_ = await archived(sqlite_archive, number)
        assert lines >= 1
        assert moves >= 1 if number != shop.old[-1] else (moves, approvals_) == (0, 1)


async def test_opening_document_carries_exactly_the_archived_sums(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    await archive.archive_before(shop.uow, sqlite_archive, BEFORE)
    opening = await run(shop.uow, lambda u: ledger.document(u, "QC-20261127"))
    assert opening.type == "adjustment" and opening.status == "posted"
    assert opening.created_by == "archive" and "期初结转" in opening.note
    assert opening.posted_at is not None and opening.posted_at < archive.cutoff(BEFORE, shop.uow.tz)
    assert {ln.sku: ln.qty for ln in opening.lines} == {
        "COKE": Decimal("19"),  # 24 - 5 sold; the 4 transferred stay in stock at B1
        "MILK": Decimal("17"),
    }


async def test_pending_sale_stays_live_and_still_posts_when_approved(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    await archive.archive_before(shop.uow, sqlite_archive, BEFORE)
    decision = await run(
        shop.uow, lambda u: approvals.decide(u, shop.pending_approval, "mgr1", approve=True)
    )
    assert decision.refusal is None and decision.approval.status == "approved"
    assert isinstance(decision.outcome, Posted)
    assert await run(shop.uow, audit.first_problem) is None


async def test_second_run_changes_nothing(shop: Shop, sqlite_archive: ArchiveDatabase) -> None:
    await archive.archive_before(shop.uow, sqlite_archive, BEFORE)
    live_before = await run(shop.uow, lambda u: counts(u.session))
    archive_before = await row_counts(sqlite_archive)

    again = await archive.archive_before(shop.uow, sqlite_archive, BEFORE)

    assert (again.documents, again.moves, again.opening) == (0, 0, None)
    assert await run(shop.uow, lambda u: counts(u.session)) == live_before
    assert await row_counts(sqlite_archive) == archive_before


async def test_sale_after_archiving_consumes_carried_batches_fefo(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    await archive.archive_before(shop.uow, sqlite_archive, BEFORE)
    # M1 (expires first) has 10 - 3 - 2 = 5 left, M2 has 10: selling 6 empties M1.
    await posted(shop.uow, Sell(warehouse="MAIN", actor="clerk1", lines=(line("MILK", "6"),)))
    milk = await run(shop.uow, lambda u: ledger.stock_of(u, "MILK", "MAIN"))
    lots = {b.lot: b.qty for w in milk.warehouses for b in w.batches}
    assert lots.get("M1", Decimal(0)) == 0 and lots["M2"] == Decimal("9")
    assert await run(shop.uow, audit.first_problem) is None


async def test_progress_is_reported_after_each_chunk_with_increasing_counts(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    calls: list[tuple[int, int]] = []

    report = await archive.archive_before(
        shop.uow, sqlite_archive, BEFORE, chunk=4, on_progress=lambda *args: calls.append(args)
    )

    assert calls == [(4, len(shop.old)), (len(shop.old), len(shop.old))]
    assert report.documents == len(shop.old) and report.opening == "QC-20261127"
    assert await live_numbers(shop.uow) == {*shop.kept, "QC-20261127"}
    assert await run(shop.uow, audit.first_problem) is None


async def test_chunked_run_carries_the_same_sums_as_one_chunk(
    shop: Shop, sqlite_archive: ArchiveDatabase
) -> None:
    stock_before = await stock_levels(shop.uow)
    await archive.archive_before(shop.uow, sqlite_archive, BEFORE, chunk=1)
    opening = await run(shop.uow, lambda u: ledger.document(u, "QC-20261127"))
    assert {ln.sku: ln.qty for ln in opening.lines} == {
        "COKE": Decimal("19"),
        "MILK": Decimal("17"),
    }
    assert await stock_levels(shop.uow) == stock_before
    assert await run(shop.uow, audit.first_problem) is None


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.pg)], indirect=True
)
async def test_postgresql_archives_into_a_schema_of_the_live_database(
    shop: Shop, settings: Settings, engine: AsyncEngine
) -> None:
    url = archive.archive_url(settings)
    assert url.endswith("?schema=jxc_archive")
    database = ArchiveDatabase.open(url)
    try:
        report = await archive.archive_before(shop.uow, database, BEFORE)
        assert report.documents == len(shop.old)
        for number in shop.old[:-1]:
            assert (await archived(database, number))[1] >= 1
        found = await run(
            UnitOfWork(create_sessionmaker(engine), settings=settings, archive=database),
            lambda u: archive.find_document(u, shop.old[0]),
        )
    finally:
        await database.dispose()
    assert found.archived and found.document.number == shop.old[0]
    assert await run(shop.uow, audit.first_problem) is None
    assert await live_numbers(shop.uow) == {*shop.kept, "QC-20261127"}
    tables = await run(shop.uow, schema_tables)
    assert {"documents", "stock_moves", "alembic_version"} <= tables["jxc_archive"]
    assert tables["jxc_archive"] <= tables["public"]


async def schema_tables(uow: UnitOfWork) -> dict[str, set[str]]:
    rows = await uow.session.execute(
        text(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('public', 'jxc_archive')"
        )
    )
    tables: dict[str, set[str]] = {"public": set(), "jxc_archive": set()}
    for schema, name in rows:
        tables[schema].add(name)
    return tables


DOCS_CSV = (
    "doc_no,type,posted_at,warehouse,user,partner,sku,qty,price,lot,expiry\n"
    "OLD-1,receipt,2026-11-01T09:00:00,MAIN,wang,供应商甲,COKE,24,2,,\n"
    "OLD-2,sale,2026-11-02T16:00:00,MAIN,wang,,COKE,3,3.5,,\n"
    "NEW-1,sale,2026-11-20T16:00:00,MAIN,wang,,COKE,1,3.5,,\n"
)


def test_cli_archive_moves_history_into_the_default_archive(tmp_path: Path) -> None:
    assert jxc(tmp_path, "db", "upgrade")[0] == 0
    (tmp_path / "items.csv").write_text("sku,name\nCOKE,可乐\n", encoding="utf-8")
    (tmp_path / "docs.csv").write_text(DOCS_CSV, encoding="utf-8")
    assert jxc(tmp_path, "import", "items", str(tmp_path / "items.csv"))[0] == 0
    assert jxc(tmp_path, "import", "documents", str(tmp_path / "docs.csv"))[0] == 0

    code, out, err = jxc(tmp_path, "archive", "--before", "2026-11-10")

    assert code == 0, err
    assert "2 documents" in out and "QC-20261110" in out
    assert (tmp_path / "data" / "archive.db").is_file()
    assert jxc(tmp_path, "audit", "verify")[0] == 0
    assert jxc(tmp_path, "stock", "COKE")[1].splitlines()[0] == "COKE\t可乐\t20 个"
    assert "0 documents" in jxc(tmp_path, "archive", "--before", "2026-11-10")[1]
    assert jxc(tmp_path, "archive", "--before", "11/10")[0] == 1
