"""``jxc serve``: run the app on ``http_host:http_port`` until SIGINT or SIGTERM.

It refuses to start unless the WeCom app's four secrets are set and none is the sandbox's
published value (``config.settings.wecom_problems``). It exits 1 when the instance breaks
(its group committer died), so the supervisor (systemd ``Restart=on-failure``, a container
restart policy) starts a fresh process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from bot.app import create_app, run_alert_scheduler
from bot.appkeys import BROKEN
from bot.logs import configure_logging
from config import Settings
from config.settings import wecom_problems

log = logging.getLogger(__name__)

REFUSED = 2
BROKEN_EXIT = 1


async def command(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    problems = wecom_problems(settings)
    if problems is not None:
        print(
            f"jxc serve: refusing to start: {problems} "
            "(set your WeCom app's own values; `jxc sandbox` runs without them)",
            file=sys.stderr,
        )
        return REFUSED
    configure_logging(settings.log_format)
    return await serve(create_app(settings), settings)


async def serve(app: web.Application, settings: Settings) -> int:
    """Serve until a stop signal (0) or until the app breaks (1), then close everything."""
    run_alert_scheduler(app)
    runner = web.AppRunner(app)
    try:
        # Inside the try: a startup step that fails still closes the steps before it.
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        log.info("serving", extra={"host": settings.http_host, "port": settings.http_port})
        if await _until_signalled_or(app[BROKEN]):
            log.critical("stopping_broken", extra={"exit_code": BROKEN_EXIT})
            return BROKEN_EXIT
        log.info("stopping")
        return 0
    finally:
        await runner.cleanup()


async def _until_signalled_or(broken: asyncio.Event) -> bool:
    """Wait for SIGINT/SIGTERM or for ``broken``; True when it was ``broken``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(broken.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return broken.is_set() and not stop.is_set()
