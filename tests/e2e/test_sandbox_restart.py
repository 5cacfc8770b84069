"""A second ``jxc sandbox`` on the same data directory reuses the data instead of seeding again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.demo_data import CATALOGUE
from bot.sandbox.runner import running_sandbox, sandbox_settings
from config import Settings
from config.settings import DATABASE_FILE
from tests.support.bot_harness import FAST
from tests.support.sandbox import EventStream, seeded_copy


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return seeded_copy(tmp_path_factory, tmp_path / "data")


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def test_second_start_on_the_same_data_dir_does_not_reseed_and_keeps_documents(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JXC_DATABASE_URL", raising=False)
    settings = sandbox_settings(Settings(), host="127.0.0.1", port=0, data_dir=data_dir)
    database = data_dir / DATABASE_FILE
    assert settings.database_url == f"sqlite+aiosqlite:///{database.resolve()}"
    documents = count(database, "documents")

    async with running_sandbox(settings, tuning=FAST) as sandbox, aiohttp.ClientSession() as http:
        assert not sandbox.seeded
        async with EventStream(http, sandbox.url) as stream:
            sale = {"userid": "xiaowang", "text": "销售 可乐 2"}
            async with http.post(sandbox.url + "sandbox/say", json=sale) as answer:
                assert answer.status == 200
            reply = await stream.next(
                lambda e: e["chat"] == "user:xiaowang" and e["sender"] == "bot"
            )
    assert "XS-" in reply["body"]["content"]

    async with running_sandbox(settings, tuning=FAST) as sandbox:
        assert not sandbox.seeded
    assert count(database, "documents") == documents + 1
    assert count(database, "items") == len(CATALOGUE)


def test_sandbox_keeps_its_database_in_the_data_dir_unless_a_url_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JXC_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    assert sandbox_settings(Settings(), data_dir=tmp_path).database_url.endswith("/elsewhere.db")
    monkeypatch.delenv("JXC_DATABASE_URL")
    assert sandbox_settings(Settings(), data_dir=tmp_path / "new").database_url.endswith(
        "/new/jxc.db"
    )
    assert (tmp_path / "new").is_dir()
