"""Schema migrations (alembic), run programmatically by ``jxc db upgrade`` and the tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` on the engine's database (idempotent)."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


async def unready_reason(url: str) -> str | None:
    """Why the database at ``url`` cannot be used until ``jxc db upgrade`` runs, else None.

    Creates nothing: a missing SQLite file stays missing (connecting would create it).
    """
    path = sqlite_file(url)
    if path is not None:
        if not path.is_file():
            return "is not initialised (no such file)"
        revision = _sqlite_revision(path)
    else:
        engine = create_async_engine(url)
        try:
            revision = await current_revision(engine)
        finally:
            await engine.dispose()
    if revision is None:
        return "is not initialised (no schema)"
    scripts = ScriptDirectory.from_config(alembic_config())
    if revision in scripts.get_heads():
        return None
    if scripts.get_revision(revision) is None:
        return f"has schema {revision}, which this version of jxc does not know"
    return f"has schema {revision}, older than this version of jxc needs"


def _sqlite_revision(path: Path) -> str | None:
    # Plain sqlite3, not the engine: its connect hook switches the file to WAL (a write).
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchall()
        if not tables:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        connection.close()
