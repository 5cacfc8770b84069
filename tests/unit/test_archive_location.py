"""Where the archive goes: one rule for ``jxc archive``, ``jxc document`` and the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from core.archive import archive_url, is_live

PG = "postgresql+asyncpg://jxc:secret@db.local/shop"


def test_sqlite_ledger_archives_into_archive_db_in_the_data_dir() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///./jxc.db", data_dir=Path("/srv/jxc"))
    assert archive_url(settings) == "sqlite+aiosqlite:////srv/jxc/archive.db"


def test_postgresql_ledger_archives_into_schema_jxc_archive_of_the_same_database() -> None:
    url = archive_url(Settings(database_url=PG))
    assert url == f"{PG}?schema=jxc_archive"
    assert not is_live(url, PG)


def test_archive_url_setting_wins_over_the_derived_default() -> None:
    settings = Settings(database_url=PG, archive_url="sqlite+aiosqlite:////srv/old.db")
    assert archive_url(settings) == "sqlite+aiosqlite:////srv/old.db"


@pytest.mark.parametrize("url", [PG, f"{PG}?schema=public"])
def test_the_live_tables_are_not_an_archive(url: str) -> None:
    assert is_live(url, PG)


@pytest.mark.parametrize(
    "url", [f"{PG}?schema=Archive;drop", "sqlite+aiosqlite:///a.db?schema=jxc_archive"]
)
def test_a_schema_must_be_a_plain_name_on_postgresql(url: str) -> None:
    with pytest.raises(ValueError, match="schema"):
        is_live(url, PG)
