"""``/healthz`` and ``/metrics`` over real HTTP."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from bot.appkeys import ENGINE
from bot.fake_wecom import FakeWeCom
from core.messaging import outbox
from core.storage import UnitOfWork, in_transaction
from tests.support.bot_harness import BotHarness, Chat, running_bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as answer:
        return answer.status, await answer.json()


async def test_healthz_reports_the_database_backlogs_lags_workers_committer_and_an_absent_scheduler(
    bot: BotHarness, chat: Chat, http: aiohttp.ClientSession
) -> None:
    await chat.say("clerk1", "帮助")

    status, report = await get_json(http, bot.url + "healthz")

    assert status == 200
    assert report == {
        "status": "ok",
        "db": "ok",
        "inbox_backlog": 0,
        "inbox_failed": 0,
        "inbox_lag_s": 0.0,
        "outbox_backlog": 0,
        "outbox_lag_s": 0.0,
        "dead_letters": 0,
        "scheduler": "absent",
        "workers": {"inbox": "running", "delivery": "running"},
        "committer": "running",
        "db_thread": "running",
    }


T = TypeVar("T")


async def test_healthz_reads_the_backlogs_through_the_transact_the_app_is_given(
    sqlite_url: str, fake_wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    calls: list[str] = []

    async def counting(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        calls.append(getattr(work, "__name__", "work"))
        return await in_transaction(bot.uow(), work)

    async with running_bot(sqlite_url, fake_wecom, isolated=counting) as bot:
        status, report = await get_json(http, bot.url + "healthz")
        after_healthz = len(calls)
        await get_json(http, bot.url + "healthz")

    assert (status, report["db"], report["outbox_backlog"]) == (200, "ok", 0)
    assert after_healthz == 1
    assert len(calls) == 2


async def test_healthz_shows_dead_letters_and_the_schedulers_state(
    sqlite_url: str, fake_wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    class Scheduler:
        def state(self) -> str:
            return "running"

    async def dead_letter(uow: UnitOfWork) -> None:
        row_id = await outbox.enqueue(uow, "user", "gone", outbox.text_payload("x"))
        assert row_id is not None
        await outbox.mark_dead(uow.session, row_id, "81013 all recipients invalid")

    async with running_bot(sqlite_url, fake_wecom, scheduler=Scheduler()) as bot:
        await bot.run(dead_letter)
        status, report = await get_json(http, bot.url + "healthz")

    assert status == 200
    assert (report["status"], report["dead_letters"], report["scheduler"]) == (
        "degraded",
        1,
        "running",
    )


async def test_healthz_is_503_while_the_database_is_unreachable_and_recovers(
    sqlite_url: str, fake_wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    db_dir = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///")).parent
    hidden = db_dir.with_name(db_dir.name + "-hidden")
    async with running_bot(sqlite_url, fake_wecom) as bot:
        await bot.app[ENGINE].dispose()
        shutil.move(db_dir, hidden)
        try:
            status, report = await get_json(http, bot.url + "healthz")
            assert (status, report["status"], report["db"]) == (503, "down", "unreachable")
        finally:
            shutil.move(hidden, db_dir)
        status, report = await get_json(http, bot.url + "healthz")
        assert (status, report["db"]) == (200, "ok")
        assert report["workers"] == {"inbox": "running", "delivery": "running"}


async def test_metrics_count_callbacks_handling_and_deliveries(
    bot: BotHarness, chat: Chat, http: aiohttp.ClientSession
) -> None:
    await chat.say("clerk1", "单据")  # the inbox's: handled, and delivered by message/send
    await chat.say("clerk2", "查 可乐")  # the read lane's: answered in the callback's response
    await bot.wecom.send_raw("<xml/>", {})

    async with http.get(bot.url + "metrics") as answer:
        assert answer.status == 200
        assert answer.content_type == "text/plain"
        text = await answer.text()

    lines = set(text.splitlines())
    assert 'jxc_callbacks_total{result="accepted"} 1.0' in lines
    assert 'jxc_callbacks_total{result="answered"} 1.0' in lines
    assert 'jxc_callbacks_total{result="missing_query_parameter"} 1.0' in lines
    assert "jxc_inbox_handling_seconds_count 1.0" in lines
    assert 'jxc_deliveries_total{result="sent"} 1.0' in lines
    assert "jxc_outbox_backlog 0.0" in lines
