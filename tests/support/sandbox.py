"""The sandbox in-process for tests, on a copy of one data directory seeded per test session.

Seeding the demo shop takes seconds, so the first call of ``seeded_copy`` starts the sandbox
once on an empty directory (its first start: it seeds) and later calls copy the result.
``EventStream`` reads ``/sandbox/events`` as the page does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.runner import running_sandbox, sandbox_settings
from config import Settings
from config.settings import DATABASE_FILE
from tests.support.bot_harness import FAST

Event = dict[str, Any]


def settings_for(data_dir: Path) -> Settings:
    """Sandbox settings on ``data_dir`` and a free port, whatever the environment says."""
    database_url = f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}"
    base = Settings(database_url=database_url, http_host="127.0.0.1", http_port=0)
    return sandbox_settings(base, data_dir=data_dir)


def seeded_copy(factory: pytest.TempPathFactory, target: Path) -> Path:
    """A data directory at ``target`` holding the demo shop as its first start left it."""
    template = factory.getbasetemp() / "sandbox-seeded"
    if not (template / DATABASE_FILE).exists():
        template.mkdir(exist_ok=True)
        asyncio.run(_first_start(template))
    shutil.copytree(template, target)
    return target


async def _first_start(data_dir: Path) -> None:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox:
        assert sandbox.seeded


class EventStream:
    """The chat events the page would get, read in the background from ``/sandbox/events``."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, last_id: str = "") -> None:
        self._http = http
        self._url = base_url + "sandbox/events"
        self._headers = {"Last-Event-ID": last_id} if last_id else {}
        self.events: list[Event] = []
        self.signals: list[str] = []  # named events, e.g. "reset"
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventStream:
        response = await self._http.get(self._url, headers=self._headers)
        assert response.status == 200
        self._reader = asyncio.create_task(self._read(response))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self, response: aiohttp.ClientResponse) -> None:
        name, data = "message", ""
        async with response:
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif not line and data:
                    await self._add(name, json.loads(data))
                    name, data = "message", ""

    async def _add(self, name: str, event: Event) -> None:
        async with self._changed:
            if name == "message":
                self.events.append(event)
            else:
                self.signals.append(name)
            self._changed.notify_all()

    async def next(self, match: Callable[[Event], bool], timeout: float = 5.0) -> Event:  # noqa: ASYNC109
        """The first event matching ``match``, waiting up to ``timeout`` seconds for it."""

        def first() -> Event | None:
            return next((event for event in self.events if match(event)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: first() is not None), timeout)
        found = first()
        assert found is not None
        return found
