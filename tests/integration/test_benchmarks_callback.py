"""The callback benchmark drives the real app and the bare handler, and never hides a lost reply."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from benchmarks import callback
from benchmarks.runner import BenchEnv
from benchmarks.wecom_app import WeComApp

TINY = callback.Sizes(senders=4, messages_per_sender=2)
WECOM = WeComApp.generate()
# What an operator's shell may hold: neither side of a benchmark may use it.
OPERATOR_WECOM = {
    "JXC_WECOM_CORP_ID": "wwoperator0001",
    "JXC_WECOM_SECRET": "operator-secret",
    "JXC_WECOM_TOKEN": "x",
    "JXC_WECOM_AES_KEY": "not-an-aes-key",
}


async def test_callback_benchmark_answers_every_message_whatever_wecom_settings_are_in_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in OPERATOR_WECOM.items():
        monkeypatch.setenv(name, value)
    env = BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=None)
    [m] = await callback.measure(env, TINY)
    raw = m.raw
    assert m.key == "callback_ratio"
    assert math.isfinite(m.value) and m.value > 0
    assert raw["messages"] == TINY.messages
    assert raw["project_messages_per_s"] > 0 and raw["baseline_messages_per_s"] > 0
    assert math.isclose(
        m.value, raw["project_messages_per_s"] / raw["baseline_messages_per_s"], rel_tol=0.05
    )
    assert 0 < raw["project_p50_ms"] <= raw["project_p99_ms"]
    assert 0 < raw["baseline_p50_ms"] <= raw["baseline_p99_ms"]


async def test_a_reply_that_never_comes_fails_the_run() -> None:
    # The bare handler answers 200 but stores nothing, so no reply ever reaches WeCom.
    plan = callback.Plan(TINY, WECOM, reply_timeout_s=0.5)
    with pytest.raises(RuntimeError, match="TimeoutError"):
        await callback.drive(plan, callback.bare_server(WECOM))


async def test_a_refused_callback_fails_the_run() -> None:
    async def refuse(_request: web.Request) -> web.Response:
        return web.Response(status=503)

    @asynccontextmanager
    async def serve(_api_base: str) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post(callback.PATH, refuse)
        async with callback.listening(app) as url:
            yield url

    plan = callback.Plan(TINY, WECOM, reply_timeout_s=None)
    with pytest.raises(RuntimeError, match="answered 503"):
        await callback.drive(plan, serve)
