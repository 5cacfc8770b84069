"""Supervision and health from outside: ``/healthz`` over HTTP, ``jxc serve``'s exit and refusal."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import server
from bot.app import create_app
from bot.fake_wecom import FakeWeCom
from config.settings import SANDBOX_WECOM
from core.messaging import outbox
from core.storage import OutboxMessage, UnitOfWork
from handlers.inbound import Inbound
from tests.support.bot_harness import FAST, TOKEN, bot_settings, running_bot
from tests.support.cli import jxc
from tests.support.clock import ManualClock

PROMPTLY = 10.0
OWN_SECRETS = {
    "JXC_WECOM_CORP_ID": "wwshop0001",
    "JXC_WECOM_SECRET": "the-shops-secret",
    "JXC_WECOM_TOKEN": "theshopstoken",
    "JXC_WECOM_AES_KEY": "BcswZLf/Lntq4AfYX55M9i7PINX17R0DHUQtZfgT2lg",
}


class Escaped(BaseException):
    """Escapes every ``except Exception``: the group committer's writer dies of it."""


async def escape(_uow: UnitOfWork, _message: Inbound) -> None:
    raise Escaped


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as answer:
        return answer.status, await answer.json()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- refusing the sandbox's secrets ------------------------------------------------------------


def test_serve_without_wecom_settings_refuses_to_start_naming_all_four(tmp_path: Path) -> None:
    result = jxc(tmp_path, "serve")

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    for name in OWN_SECRETS:
        assert name in line
    assert "not set" in line
    assert not (tmp_path / "jxc.db").exists()


def test_serve_refuses_a_sandbox_value_and_names_only_what_is_wrong(tmp_path: Path) -> None:
    env = {**OWN_SECRETS, "JXC_WECOM_TOKEN": SANDBOX_WECOM["wecom_token"]}
    del env["JXC_WECOM_SECRET"]

    result = jxc(tmp_path, "serve", env=env)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "JXC_WECOM_SECRET not set" in line
    assert "JXC_WECOM_TOKEN equal to the sandbox's published value" in line
    assert "JXC_WECOM_CORP_ID" not in line and "JXC_WECOM_AES_KEY" not in line
    assert SANDBOX_WECOM["wecom_token"] not in line


def test_serve_refuses_an_aes_key_wecom_could_not_have_issued(tmp_path: Path) -> None:
    env = {**OWN_SECRETS, "JXC_WECOM_AES_KEY": "too-short"}

    result = jxc(tmp_path, "serve", env=env)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "JXC_WECOM_AES_KEY not an EncodingAESKey (43 characters of base64)" in line
    assert "too-short" not in line


def test_the_sandbox_still_runs_on_its_published_values(tmp_path: Path) -> None:
    from bot.sandbox.runner import sandbox_settings
    from config import Settings

    settings = sandbox_settings(Settings(), data_dir=tmp_path)

    assert settings.wecom_token.get_secret_value() == SANDBOX_WECOM["wecom_token"]
    assert settings.wecom_aes_key.get_secret_value() == SANDBOX_WECOM["wecom_aes_key"]


# -- a dead group committer ----------------------------------------------------------------------


async def test_a_dead_committer_makes_healthz_503_and_callbacks_503_instead_of_hanging(
    sqlite_url: str, fake_wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    async with running_bot(sqlite_url, fake_wecom, handle=escape) as bot:
        status, report = await get_json(http, bot.url + "healthz")
        assert (status, report["committer"], report["db_thread"]) == (200, "running", "running")

        async with asyncio.timeout(PROMPTLY):
            assert await bot.wecom.send_text("clerk1", "帮助") == 200
            while report["committer"] == "running":
                await asyncio.sleep(0.02)  # the inbox worker runs the message on its own time
                status, report = await get_json(http, bot.url + "healthz")
            assert await bot.wecom.send_text("clerk1", "查 可乐") == 503

    assert (status, report["status"], report["committer"]) == (503, "down", "dead")


async def test_serve_exits_1_when_its_group_committer_dies(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    settings = bot_settings(sqlite_url, fake_wecom.api_base, http_port=free_port())
    app = create_app(settings, handle=escape, tuning=FAST)
    serving = asyncio.create_task(server.serve(app, settings))
    url = f"http://127.0.0.1:{settings.http_port}/"
    wecom = fake_wecom.callback_client(url, TOKEN, settings.wecom_aes_key.get_secret_value())
    async with asyncio.timeout(PROMPTLY):
        # Until it listens: nothing to wait on but its port.
        while await _refused(wecom.send_text("clerk1", "帮助")):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert await serving == 1


async def _refused(post: Any) -> bool:
    try:
        await post
    except aiohttp.ClientConnectionError:
        return True
    return False


# -- lag ------------------------------------------------------------------------------------------


async def test_healthz_turns_degraded_once_a_reply_waits_more_than_a_minute_and_ok_after(
    sqlite_url: str, fake_wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock()
    # WeCom refuses three delivery attempts in a row (the API client tries each twice).
    fake_wecom.fail_next(6, status=502, path="message/send")

    async def reply(uow: UnitOfWork) -> int:
        row_id = await outbox.enqueue(uow, "user", "clerk1", outbox.text_payload("可乐 现有 5"))
        assert row_id is not None
        return row_id

    async def attempts(bot: Any, row_id: int, n: int) -> None:
        async def read(uow: UnitOfWork) -> int:
            row = await uow.session.get(OutboxMessage, row_id)
            assert row is not None
            return row.attempts

        # The delivery worker records each failure on its own time, in the database.
        while await bot.run(read) < n:  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    async with running_bot(sqlite_url, fake_wecom, clock=clock) as bot, asyncio.timeout(PROMPTLY):
        row_id = await bot.run(reply)
        await attempts(bot, row_id, 1)
        clock.advance(seconds=30)
        await attempts(bot, row_id, 2)
        status, at_30s = await get_json(http, bot.url + "healthz")
        clock.advance(seconds=31)
        await attempts(bot, row_id, 3)
        status, at_61s = await get_json(http, bot.url + "healthz")
        clock.advance(seconds=1)
        await bot.settled()
        status, after = await get_json(http, bot.url + "healthz")

    assert (at_30s["status"], at_30s["outbox_lag_s"], at_30s["outbox_backlog"]) == ("ok", 30.0, 1)
    assert (at_61s["status"], at_61s["outbox_lag_s"], at_61s["outbox_backlog"]) == (
        "degraded",
        61.0,
        1,
    )
    assert at_61s["dead_letters"] == 0
    assert (status, after["status"], after["outbox_lag_s"]) == (200, "ok", 0.0)
    assert fake_wecom.texts_to("clerk1") == ["可乐 现有 5"]
