"""``jxc serve`` as operators run it: a separate process configured by ``JXC_*`` variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from bot.fake_wecom import FakeWeCom
from tests.support.bot_harness import AES_KEY, SECRET, TOKEN
from tests.support.serve import ServeProcess, free_port


async def health(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        report: dict[str, Any] = await answer.json()
        return report


async def test_jxc_serve_runs_the_alert_schedule_answers_on_a_fresh_database_and_stops_on_sigterm(
    tmp_path: Path, fake_wecom: FakeWeCom
) -> None:
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = ServeProcess(
            f"sqlite+aiosqlite:///{tmp_path / 'jxc.db'}", free_port(), fake_wecom.api_base, log
        )
        await server.start()
        try:
            assert (await health(server.url + "healthz"))["scheduler"]["running"]
            wecom = fake_wecom.callback_client(server.url, TOKEN, AES_KEY)
            assert await wecom.send_text("stranger", "帮助") == 200
            await fake_wecom.wait_for(lambda call: call.name == "message/send", timeout=10)
            assert await server.terminate() == 0
        finally:
            await server.stop()

    text = log_path.read_text("utf-8")
    events = [json.loads(line)["event"] for line in text.splitlines()]
    assert "serving" in events and "stopping" in events
    assert fake_wecom.texts_to("stranger")
    for secret in (SECRET, TOKEN, AES_KEY):
        assert secret not in text
