"""The sandbox: the app ``jxc serve`` runs, a fake WeCom beside it, demo data and a chat page.

The bot is built by ``create_app`` like in production and talks to a ``FakeWeCom`` served on a
free loopback port in the same process, so nothing leaves the machine. The page's messages
and clicks reach the bot through the real callback path, encrypted and signed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path

from aiohttp import web

from bot.app import Tuning, create_app, run_alert_scheduler
from bot.appkeys import CLOCK, WECOM, new_uow
from bot.fake_wecom import FakeWeCom
from bot.sandbox import demo_data, demo_kitchen, routes
from bot.sandbox.chatlog import follow
from bot.sandbox.state import SANDBOX, Sandbox
from config import Settings
from config.settings import with_sandbox_wecom
from core import presets
from core.common import Clock, utcnow
from core.storage import in_transaction
from handlers.menu import app_menu

log = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


def sandbox_settings(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    data_dir: Path | None = None,
) -> Settings:
    """``settings`` with these overrides, the sandbox's WeCom app for any secret not set, and
    the database in the data directory (created here) unless a database URL was given
    explicitly: the one every ``jxc`` command uses with the same data dir."""
    directory = (data_dir or settings.data_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    update: dict[str, object] = {}
    if host is not None:
        update["http_host"] = host
    if port is not None:
        update["http_port"] = port
    return with_sandbox_wecom(settings.in_data_dir(directory).model_copy(update=update))


def new_fake(settings: Settings, clock: Clock = utcnow) -> FakeWeCom:
    """A fake WeCom that accepts this bot's credentials and knows the demo staff."""
    return FakeWeCom(
        settings.wecom_corp_id,
        settings.wecom_secret.get_secret_value(),
        settings.wecom_agent_id,
        users=[userid for userid, _, _ in demo_data.STAFF],
        clock=clock,
    )


def build_app(
    settings: Settings,
    fake: FakeWeCom,
    *,
    clock: Clock = utcnow,
    tuning: Tuning | None = None,
    preset: str | None = None,
) -> web.Application:
    """What ``jxc serve`` runs (the app and its alert schedule), plus the sandbox's parts."""
    app = create_app(settings, clock=clock, tuning=tuning)
    app[SANDBOX] = Sandbox(fake, preset=preset)
    # After create_app's contexts (the database is there, workers run while we seed) and
    # before the schedule's, so no scheduled rule runs on a half-seeded shop.
    app.cleanup_ctx.append(_sandbox)
    run_alert_scheduler(app)
    app.on_shutdown.append(_end_event_streams)
    routes.add_routes(app)
    return app


@asynccontextmanager
async def running_sandbox(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    tuning: Tuning | None = None,
    preset: str | None = None,
) -> AsyncIterator[Sandbox]:
    """Serve the sandbox on ``settings.http_host:http_port`` (port 0: a free one) until exit."""
    async with AsyncExitStack() as stack:
        fake = new_fake(settings, clock)
        await fake.start()
        stack.push_async_callback(fake.stop)
        bot_settings = settings.model_copy(update={"wecom_api_base": fake.api_base})
        app = build_app(bot_settings, fake, clock=clock, tuning=tuning, preset=preset)
        # Each chat line is a request of its own; an access log would drown the useful lines.
        runner = web.AppRunner(app, access_log=None)
        # Registered first: a failed startup still closes what its earlier steps opened.
        stack.push_async_callback(runner.cleanup)
        await runner.setup()
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        sandbox = app[SANDBOX]
        sandbox.connect(_page_url(settings.http_host, runner.addresses[0][1]), bot_settings)
        yield sandbox


def _page_url(host: str, port: int) -> str:
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


async def _sandbox(app: web.Application) -> AsyncIterator[None]:
    sandbox = app[SANDBOX]
    sandbox.seeded = await _seed_if_empty(app)
    # As an operator runs `jxc wecom menu` once: every chat then shows the scan menu.
    await app[WECOM].create_menu(app_menu())
    follower = asyncio.create_task(follow(sandbox.fake, sandbox.log), name="jxc-sandbox-chatlog")
    try:
        yield
    finally:
        follower.cancel()
        with suppress(asyncio.CancelledError):
            await follower


async def _seed_if_empty(app: web.Application) -> bool:
    if await demo_data.has_data(new_uow(app)):
        return False
    log.info("seeding_demo_data")
    uow = new_uow(app)
    preset = app[SANDBOX].preset
    if preset is None:
        await demo_data.seed(uow, app[CLOCK]().astimezone(uow.tz).date())
    else:
        await in_transaction(uow, lambda u: presets.apply_preset(u, "sandbox", preset))
        await demo_kitchen.seed_demo(uow, preset)
    log.info("demo_data_seeded")
    return True


async def _end_event_streams(app: web.Application) -> None:
    await app[SANDBOX].log.close()
