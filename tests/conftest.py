"""Shared fixtures: migrated databases (a real SQLite file and a real PostgreSQL) per test."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import storage
from core.storage import UnitOfWork, create_engine, create_sessionmaker
from devsupport.pg_cluster import Cluster, recreate_database
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock

_counter = itertools.count()


def _pg_required() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server; in CI its absence fails instead of skipping."""
    if url := os.environ.get("JXC_TEST_PG_URL"):
        yield url
        return
    try:
        cluster = Cluster()
        cluster.start()
    except (FileNotFoundError, KeyError, OSError) as error:
        if _pg_required():
            pytest.fail(f"PostgreSQL is required in CI but could not start: {error}")
        pytest.skip(f"no PostgreSQL server binary here: {error}")
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


def _async_url(url: str, database: str) -> str:
    base = url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """A migrated template database; each test clones it (fast) instead of migrating."""
    name = f"jxc_template_{os.getpid()}"

    async def build() -> None:
        await recreate_database(pg_admin_url, name)
        engine = create_engine(_async_url(pg_admin_url, name))
        await storage.upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "jxc.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await storage.upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "jxc.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def pg_url(pg_admin_url: str, pg_template: str) -> AsyncIterator[str]:
    name = f"jxc_test_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    finally:
        await admin.close()
    yield _async_url(pg_admin_url, name)
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on a real SQLite file and on a real PostgreSQL database."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Files the bot writes (charts, workbooks) land in the test's own folder.
    return Settings(database_url=database_url, data_dir=tmp_path / "data")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> UnitOfWork:
    return UnitOfWork(create_sessionmaker(engine), clock=clock, settings=settings)


@pytest.fixture
def chat_factory() -> ChatFactory:
    """How transcript tests talk to the handlers: directly here; over HTTP in ``tests/e2e``."""
    return Chat
