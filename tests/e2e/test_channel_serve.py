"""``jxc serve`` as operators run it: a separate process configured by ``JXC_*`` variables."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.fake_wecom import FakeWeCom
from tests.support.bot_harness import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(database: Path, port: int, api_base: str) -> dict[str, str]:
    return {
        **os.environ,
        "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "JXC_HTTP_HOST": "127.0.0.1",
        "JXC_HTTP_PORT": str(port),
        "JXC_WECOM_API_BASE": api_base,
        "JXC_WECOM_CORP_ID": CORP_ID,
        "JXC_WECOM_AGENT_ID": str(AGENT_ID),
        "JXC_WECOM_SECRET": SECRET,
        "JXC_WECOM_TOKEN": TOKEN,
        "JXC_WECOM_AES_KEY": AES_KEY,
        "JXC_LOG_FORMAT": "json",
    }


async def wait_until_listening(url: str, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
        while True:
            try:
                async with http.get(url) as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)  # another process: nothing to wait on but its port


async def health(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        report: dict[str, Any] = await answer.json()
        return report


async def test_jxc_serve_runs_the_alert_schedule_answers_on_a_fresh_database_and_stops_on_sigterm(
    tmp_path: Path, fake_wecom: FakeWeCom
) -> None:
    port = free_port()
    env = serve_env(tmp_path / "jxc.db", port, fake_wecom.api_base)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", cwd=ROOT, env=env, stderr=log
        )
        try:
            await wait_until_listening(f"http://127.0.0.1:{port}/healthz")
            assert (await health(f"http://127.0.0.1:{port}/healthz"))["scheduler"]["running"]
            wecom = fake_wecom.callback_client(f"http://127.0.0.1:{port}/", TOKEN, AES_KEY)
            assert await wecom.send_text("stranger", "帮助") == 200
            await fake_wecom.wait_for(lambda call: call.name == "message/send", timeout=10)
            server.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(server.wait(), 10) == 0
        finally:
            if server.returncode is None:
                server.kill()
                await server.wait()

    text = log_path.read_text("utf-8")
    events = [json.loads(line)["event"] for line in text.splitlines()]
    assert "serving" in events and "stopping" in events
    assert fake_wecom.texts_to("stranger")
    for secret in (SECRET, TOKEN, AES_KEY):
        assert secret not in text
