"""Migration 0005 on a ledger that already has history: partners get codes, and every posted
partner document opens its receivable or payable, so balances start from the history."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from config import Settings
from core import audit, money
from core.money.tables import PartnerItem
from core.storage import Partner, UnitOfWork, create_engine, create_sessionmaker, upgrade
from devsupport.pg_cluster import recreate_database
from tests.support.ledger import run

HISTORY = [
    "INSERT INTO items (id, sku, name, unit, unit_precision, category, price, cost, reorder_point,"
    " reorder_qty, batch_tracked, version) VALUES (1, 'COKE', '可乐', '瓶', 0, '', 35000, 20000,"
    " 0, 0, false, 1)",
    "INSERT INTO partners (id, kind, name) VALUES (1, 'customer', '张三'), (2, 'supplier', '甲'),"
    " (3, 'customer', '李四')",
    # a posted sale to 张三 (3 × 3.3333 = 10.00 and 1 × 2.5), a posted receipt from 甲, a
    # pending sale to 李四 (not booked) and a cash sale (no partner)
    "INSERT INTO documents (id, number, type, status, warehouse_id, partner_id, created_by,"
    " created_at, posted_at, note, version) VALUES"
    " (1, 'XS-1', 'sale', 'posted', 1, 1, 'x', '{nov1}', '{nov1}', '', 1),"
    " (2, 'RK-1', 'receipt', 'posted', 1, 2, 'x', '{nov1}', '{nov1}', '', 1),"
    " (3, 'XS-2', 'sale', 'pending', 1, 3, 'x', '{nov2}', NULL, '', 1),"
    " (4, 'XS-3', 'sale', 'posted', 1, NULL, 'x', '{nov2}', '{nov2}', '', 1)",
    "INSERT INTO document_lines (document_id, line_no, item_id, qty, price) VALUES"
    " (1, 1, 1, 30000, 33333), (1, 2, 1, 10000, 25000), (2, 1, 1, 100000, 20000),"
    " (3, 1, 1, 10000, 35000), (4, 1, 1, 10000, 35000)",
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, to be migrated by the test itself."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    admin_url = str(request.getfixturevalue("pg_admin_url"))
    plain = await recreate_database(admin_url, f"jxc_migration_{os.getpid()}")
    return plain.replace("postgresql://", "postgresql+asyncpg://", 1)


async def test_existing_partners_and_their_posted_documents_are_booked(empty_url: str) -> None:
    engine = create_engine(empty_url)
    # SQLite keeps naive UTC text; PostgreSQL is told the zone.
    zone = "" if empty_url.startswith("sqlite") else "+00"
    try:
        await upgrade(engine, "0001")
        async with engine.begin() as connection:
            for statement in HISTORY:
                dated = statement.replace("{nov1}", f"2026-11-01 02:00:00{zone}")
                await connection.execute(
                    text(dated.replace("{nov2}", f"2026-11-02 02:00:00{zone}"))
                )
            if zone:  # rows given their ids do not move PostgreSQL's sequences
                for table in ("items", "partners", "documents", "document_lines"):
                    await connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)")
                    )
        await upgrade(engine)
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=empty_url))

        async def read(u: UnitOfWork) -> dict[str, tuple[str, Decimal]]:
            rows = await u.session.execute(
                select(PartnerItem.number, PartnerItem.side, PartnerItem.open_amount)
            )
            return {number: (side, amount) for number, side, amount in rows.all()}

        assert await run(uow, read) == {"XS-1": ("ar", D("12.50")), "RK-1": ("ap", D("20.00"))}

        async def codes(u: UnitOfWork) -> dict[str, str | None]:
            rows = await u.session.execute(select(Partner.name, Partner.code))
            return {name: code for name, code in rows}

        # the departments that migration 0004 adds for 领用 are no trading partners
        assert await run(uow, codes) == {
            "张三": "C0001",
            "甲": "S0001",
            "李四": "C0002",
            "厨房": None,
            "生产": None,
        }
        card = await run(uow, lambda u: money.partner_card(u, "C0001", "customer"))
        assert (card.name, card.sides[0].balance) == ("张三", D("12.50"))
        supplier = await run(uow, lambda u: money.partner_card(u, "S0001", "supplier"))
        assert supplier.name == "甲"
        assert await run(uow, audit.first_problem) is None
    finally:
        await engine.dispose()


D = Decimal
