"""``jxc serve``: run the app on ``http_host:http_port`` until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from bot.app import create_app, run_alert_scheduler
from bot.logs import configure_logging
from config import Settings

log = logging.getLogger(__name__)


async def command(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    configure_logging(settings.log_format)
    await serve(settings)
    return 0


async def serve(settings: Settings) -> None:
    """Serve until a stop signal, then finish work in hand and close everything."""
    app = create_app(settings)
    run_alert_scheduler(app)
    runner = web.AppRunner(app)
    try:
        # Inside the try: a startup step that fails still closes the steps before it.
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        log.info("serving", extra={"host": settings.http_host, "port": settings.http_port})
        await _until_signalled()
        log.info("stopping")
    finally:
        await runner.cleanup()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
