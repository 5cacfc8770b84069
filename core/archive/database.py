"""Where archived documents live: a SQLite file, or a schema of a PostgreSQL database.

An archive is named by a database URL. On PostgreSQL the query parameter ``schema``
(``postgresql+asyncpg://…/shop?schema=jxc_archive``) puts it in that schema: the archive's
connections have that schema alone as their ``search_path``, so the same migrations and queries
run there unchanged, and a missing table can never resolve to a live one in ``public``.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.schema import CreateSchema

from config import Settings
from core import storage as migrations
from core.storage import Document, create_engine, create_sessionmaker

DEFAULT_SCHEMA = "jxc_archive"
SQLITE_FILE = "archive.db"
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def archive_url(settings: Settings) -> str:
    """``archive_url`` when set; else beside the live data (see ``Settings.archive_url``)."""
    if settings.archive_url:
        return settings.archive_url
    live = make_url(settings.database_url)
    if live.get_backend_name() == "postgresql":
        in_schema = live.update_query_dict({"schema": DEFAULT_SCHEMA})
        return in_schema.render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{settings.data_dir / SQLITE_FILE}"


def is_live(url: str, live_url: str) -> bool:
    """Whether archive ``url`` names the live tables themselves."""
    database, schema = _split(url)
    return database == make_url(live_url) and schema in (None, "public")


@dataclass(frozen=True)
class ArchiveDatabase:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    schema: str | None = None
    file: Path | None = None

    @classmethod
    def open(cls, url: str) -> ArchiveDatabase:
        """The archive at ``url``; nothing is connected or created until it is used."""
        database, schema = _split(url)
        address = database.render_as_string(hide_password=False)
        if schema is None:
            engine = create_engine(address)
        else:
            engine = create_engine(
                address, connect_args={"server_settings": {"search_path": schema}}
            )
        file = None
        if database.get_backend_name() == "sqlite" and database.database:
            file = Path(database.database)
        return cls(engine, create_sessionmaker(engine), schema, file)

    async def prepare(self) -> None:
        """Create the archive (file or schema) if missing and migrate it like the live one."""
        if self.file is not None:
            await asyncio.to_thread(self.file.parent.mkdir, parents=True, exist_ok=True)
        if self.schema is not None:
            async with self.engine.begin() as connection:
                await connection.execute(CreateSchema(self.schema, if_not_exists=True))
        await migrations.upgrade(self.engine)

    async def exists(self) -> bool:
        """Whether anything was ever archived here (reading never creates the archive)."""
        if self.file is not None and not await asyncio.to_thread(self.file.is_file):
            return False
        async with self.engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: inspect(sync).has_table(Document.__tablename__)
            )

    async def dispose(self) -> None:
        await self.engine.dispose()


def _split(url: str) -> tuple[URL, str | None]:
    """The database URL without ``schema``, and the schema."""
    parsed = make_url(url)
    schema = parsed.query.get("schema")
    if schema is None:
        return parsed, None
    if not isinstance(schema, str) or not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"archive schema must be one lower-case SQL name: {schema}")
    if parsed.drivername != "postgresql+asyncpg":
        raise ValueError("an archive schema needs a postgresql+asyncpg:// URL")
    return parsed.difference_update_query(["schema"]), schema
