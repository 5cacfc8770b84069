"""``jxc sandbox``: run the sandbox until Ctrl-C (SIGINT) or SIGTERM, then stop cleanly."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import configure_logging
from bot.sandbox.runner import running_sandbox, sandbox_settings

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def command(args: argparse.Namespace) -> int:
    # ``args.settings`` already follows --data-dir / JXC_DATA_DIR, like every command's.
    settings = sandbox_settings(args.settings, host=args.host, port=args.port)
    configure_logging(settings.log_format)
    # APScheduler logs every job it adds and runs at INFO: the URL to open would scroll away.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    stop = asyncio.Event()
    # Signals are caught from the start: a Ctrl-C while demo data is seeded stops after it.
    with _stop_on_signals(stop):
        try:
            async with running_sandbox(settings, preset=args.preset) as sandbox:
                log.info("sandbox_ready", extra={"open": sandbox.url})
                await stop.wait()
                log.info("stopping")
        except OSError as error:
            log.error("sandbox_cannot_start", extra={"reason": str(error)})
            return 1
    return 0


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
