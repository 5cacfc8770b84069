"""Peak memory of a real ``jxc serve`` on a ledger of 100 000 items, after real work.

The server runs as operators run it: its own process, configured by ``JXC_*`` variables, on
the large bulk ledger, talking to the built-in fake WeCom on this machine (nothing leaves it).
Managers then send it signed, encrypted callbacks, as WeCom would: stock queries on random
items, document lists and their next pages, sales. When every reply has gone out, the peak
(``VmHWM`` of ``/proc/<pid>/status``) is read before the server is stopped. The baseline is
the same figure for a bare ``python -c "import bot.app"``: what the code alone costs.

The scheduled alert scans are not triggered: they fire on the clock (every 30 minutes at the
soonest) and ``jxc serve`` has no way to run them on demand; ``alert_scan`` times them.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import sys
from asyncio.subprocess import Process
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from benchmarks import bulk
from benchmarks.bulk import LedgerSize
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from benchmarks.wecom_app import WeComApp
from bot.fake_wecom import CallbackClient, FakeWeCom
from core import catalog

ROOT = Path(__file__).resolve().parents[1]
MANAGERS = tuple(f"bench-manager-{n}" for n in range(10))  # WeCom allows 30 sends/min each
STARTUP_SECONDS = 60
REPLY_SECONDS = 30
PEAK_OF_SELF = (
    "import bot.app, pathlib; "
    "print(next(l for l in pathlib.Path('/proc/self/status').read_text().splitlines() "
    "if l.startswith('VmHWM')).split()[1])"
)


@dataclass(frozen=True)
class Config:
    ledger: LedgerSize
    rounds: int  # each: a stock query, a document list, its next page and a sale


FULL = Config(bulk.LARGE, rounds=40)
QUICK = Config(bulk.QUICK, rounds=15)


async def measure(env: BenchEnv, config: Config | None = None) -> list[Measurement]:
    config = config or (QUICK if env.quick else FULL)
    env.log(f"serve memory: building ledger ({config.ledger.label()})")
    shared = await bulk.cached(env.workdir, config.ledger, datetime.now(UTC))
    # The server posts sales: on a copy, so the shared ledger stays as the others measure it.
    path = env.workdir / "serve.db"
    shutil.copyfile(shared, path)
    await add_managers(path)
    served_kb, replies = await serve_and_peak(path, env.workdir, config)
    bare_kb = await bare_import_peak()
    return [
        Measurement(
            key="rss_mb",
            title=f"jxc serve peak RSS, {config.ledger.skus:,} SKUs (MB)",
            value=served_kb / 1024,
            goal=Goal("<", 200),
            project=f"{served_kb / 1024:.1f} MB",
            baseline=f"import bot.app {bare_kb / 1024:.1f} MB",
            raw={
                "serve_peak_kb": served_kb,
                "import_peak_kb": bare_kb,
                "replies": replies,
                "ledger": config.ledger.label(),
            },
        )
    ]


async def add_managers(path: Path) -> None:
    async with bulk.unit_of_work(path) as uow, uow:
        for userid in MANAGERS:
            await catalog.save_user(uow, "bench", userid, userid, "manager", ["MAIN"])
        await uow.commit()


async def serve_and_peak(path: Path, workdir: Path, config: Config) -> tuple[int, int]:
    """Start ``jxc serve``, drive it, and return its peak RSS in kB and the replies it sent."""
    wecom_app = WeComApp.generate()
    async with FakeWeCom(wecom_app.corp_id, wecom_app.secret, wecom_app.agent_id) as wecom:
        port = free_port()
        with (workdir / "serve.log").open("wb") as log:
            env = serve_env(path, port, wecom.api_base, wecom_app)
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve",
                cwd=ROOT, env=env, stdout=log, stderr=log,
            )  # fmt: skip
            try:
                base = f"http://127.0.0.1:{port}"
                await wait_until_healthy(f"{base}/healthz", server)
                client = wecom.callback_client(base, wecom_app.token, wecom_app.aes_key)
                replies = await drive(wecom, client, config)
                return peak_kb(server.pid), replies
            finally:
                server.send_signal(signal.SIGTERM)
                await asyncio.wait_for(server.wait(), 30)


async def drive(wecom: FakeWeCom, client: CallbackClient, config: Config) -> int:
    rng = random.Random(11)
    for n in range(config.rounds):
        manager = MANAGERS[n % len(MANAGERS)]
        item = bulk.name(rng.randrange(config.ledger.skus))
        for text in (f"查 {item}", "单据", "下一页", f"销售 {item} 1"):
            await say(wecom, client, manager, text)
    return sum(len(wecom.messages_to(m)) for m in MANAGERS)


async def say(wecom: FakeWeCom, client: CallbackClient, userid: str, text: str) -> None:
    """Send ``text`` as ``userid`` and wait for the bot's reply to reach WeCom."""
    expected = len(wecom.messages_to(userid)) + 1
    if await client.send_text(userid, text) != 200:
        raise RuntimeError(f"jxc serve refused the callback for {text!r}")
    await wecom.wait_for(lambda _: len(wecom.messages_to(userid)) >= expected, REPLY_SECONDS)


def serve_env(path: Path, port: int, api_base: str, wecom: WeComApp) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    return {
        **inherited,
        **wecom.environment(),
        "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "JXC_HTTP_HOST": "127.0.0.1",
        "JXC_HTTP_PORT": str(port),
        "JXC_WECOM_API_BASE": api_base,
        "JXC_DATA_DIR": str(path.parent / "serve-data"),
        "JXC_LOG_FORMAT": "json",
    }


async def wait_until_healthy(url: str, server: Process) -> None:
    async with aiohttp.ClientSession() as http, asyncio.timeout(STARTUP_SECONDS):
        while server.returncode is None:
            try:
                async with http.get(url) as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)  # another process: nothing to wait on but its port
    raise RuntimeError(f"jxc serve exited with {server.returncode} before answering")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc status (not Linux?)")


async def bare_import_peak() -> int:
    """Peak RSS in kB of a process that only imports the application."""
    bare = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEAK_OF_SELF, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await bare.communicate()
    if bare.returncode != 0:
        raise RuntimeError("importing bot.app failed")
    return int(out.decode().strip())
