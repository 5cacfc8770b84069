"""A unit of work is given its settings by whoever builds it (bot/app.py, the CLI, a test)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from config import Settings
from core.storage import UnitOfWork


def test_a_unit_of_work_never_reads_settings_from_the_environment_itself() -> None:
    sessions: async_sessionmaker = async_sessionmaker()  # type: ignore[type-arg]
    with pytest.raises(TypeError, match="settings"):
        UnitOfWork(sessions)  # type: ignore[call-arg]
    given = Settings(database_url="sqlite+aiosqlite:///given.db", approval_ttl_hours=5)
    uow = UnitOfWork(sessions, settings=given)
    assert uow.fresh().settings is given and uow.using(sessions).settings is given
