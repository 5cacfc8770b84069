"""``jxc serve`` as a separate process on a seeded SQLite shop, for tests that kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import IO

import aiohttp

from config import Settings
from core import catalog, ledger
from core.ledger import Line, Receive
from core.messaging import inbox, outbox
from core.storage import UnitOfWork, create_engine, create_sessionmaker, in_transaction, upgrade
from tests.support.bot_harness import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN
from tests.support.ledger import seed_shop

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seeded_database(path: Path, clerks: list[str], coke: int) -> str:
    """A migrated SQLite shop at ``path`` with ``clerks`` and ``coke`` units of 可乐 on hand."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=url))
        await seed_shop(uow)

        async def stock_up(u: UnitOfWork) -> None:
            for n, userid in enumerate(clerks):
                await catalog.save_user(u, "test", userid, f"店员{n}", "clerk", ["MAIN"])
            receipt = Receive(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", Decimal(coke)),))
            await ledger.submit(u, receipt)

        await in_transaction(uow, stock_up)
    finally:
        await engine.dispose()
    return url


async def read(url: str, work: Callable[[UnitOfWork], Awaitable[object]]) -> object:
    """Run ``work`` on the shop's database from outside the server."""
    engine = create_engine(url)
    try:
        return await in_transaction(
            UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=url)), work
        )
    finally:
        await engine.dispose()


async def pending(url: str) -> tuple[int, int]:
    """Pending inbox and outbox rows."""

    async def count(uow: UnitOfWork) -> tuple[int, int]:
        received = await inbox.status_counts(uow.session)
        outgoing = await outbox.status_counts(uow.session)
        return received.get(inbox.PENDING, 0), outgoing.get(outbox.PENDING, 0)

    found = await read(url, count)
    assert isinstance(found, tuple)
    return found


class ServeProcess:
    """One ``jxc serve`` process on ``port``; ``start`` again after ``kill`` is a restart."""

    def __init__(self, database_url: str, port: int, api_base: str, log: IO[bytes]) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self._env = {
            **os.environ,
            "JXC_DATABASE_URL": database_url,
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
        self._log = log
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0  # time.monotonic() of the last start

    async def start(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Start the process and return once it answers ``/healthz``."""
        self.started_at = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", cwd=ROOT, env=self._env, stderr=self._log
        )
        async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
            while True:
                try:
                    async with http.get(self.url + "healthz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)  # another process: nothing to wait on but its port

    async def kill(self) -> None:
        """``kill -9``: no cleanup of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self) -> int:
        """SIGTERM, as a supervisor stops it; its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                await self.kill()
