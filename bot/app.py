"""The composition root: ``create_app`` wires settings, clock, database, WeCom and workers.

Nothing is created at import time, and nothing that needs the event loop is created before the
app starts: the engine, the HTTP session, the API client and the workers live in
``cleanup_ctx`` generators, set up in order at startup and torn down in reverse at cleanup.
``jxc serve``, the sandbox and the tests all build the app with this one function.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial

import aiohttp
from aiohttp import web

from bot import callback, health
from bot.appkeys import (
    ARCHIVE,
    BROKEN,
    CLOCK,
    COMMITTER,
    CRYPTO,
    DB_THREAD,
    DELIVERED,
    ENGINE,
    METRICS,
    OWN_TRANSACTIONS,
    READ_LANE,
    READ_SESSIONS,
    SCHEDULER,
    SESSIONS,
    SETTINGS,
    WECOM,
    WORKERS,
    SchedulerState,
    new_uow,
)
from bot.inbox_worker import Handle, InboxWorker
from bot.metrics import Metrics
from bot.read_lane import ReadLane
from bot.wecom_api import WeComClient
from bot.wecom_crypto import CallbackCrypto
from bot.wecom_sender import WeComSender
from bot.workers import Workers
from config import Settings
from core import presets, storage
from core.archive import ArchiveDatabase, archive_url
from core.common import Clock, utcnow
from core.storage import (
    DatabaseThread,
    GroupCommitter,
    Transact,
    create_engine,
    create_sessionmaker,
    in_transaction,
    is_postgres,
    own_transactions,
)
from handlers import dispatch
from notifications.approval_expiry import announce_expired
from notifications.outbox_worker import Delivered, DeliveryPolicy, DeliveryWorker
from notifications.scheduler import AlertScheduler, create_scheduler


@dataclass(frozen=True)
class Tuning:
    """Timings and bounds; the defaults are for production, tests make them fast."""

    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    api_max_attempts: int = 4
    api_retry_base_delay: float = 0.5
    api_timeout: float = 10.0
    # Users served at once: their messages share group commits, but more than this crowds the
    # callbacks' own commits (measured at 200 senders: 64 users tripled the ack p50, no faster).
    max_concurrent_users: int = 16
    inbox_poll_interval: float = 2.0
    shutdown_grace: float = 5.0


def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    http_session: aiohttp.ClientSession | None = None,
    handle: Handle = dispatch.handle,
    scheduler: SchedulerState | None = None,
    tuning: Tuning | None = None,
    isolated: Transact | None = None,
) -> web.Application:
    """The bot's aiohttp application.

    ``http_session`` is used for WeCom API calls when given (and then left open); otherwise
    the app opens and closes its own. ``handle`` is what the inbox worker runs for each message.
    ``scheduler`` is only reported by ``/healthz`` (``None``: "absent"). ``isolated`` runs
    what must not wait for or hold the group committer's shared transactions (``/healthz``'s
    reads, each alert job with its lease); by default each call is its own transaction.
    """
    tuning = tuning or Tuning()
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[CRYPTO] = _callback_crypto(settings)
    app[METRICS] = Metrics()
    app[SCHEDULER] = scheduler
    app[BROKEN] = asyncio.Event()
    app[DELIVERED] = Delivered()
    app[OWN_TRANSACTIONS] = isolated or own_transactions(partial(new_uow, app))
    app.cleanup_ctx.extend(
        [
            _database,
            _group_commit,
            partial(_wecom_client, http_session=http_session, tuning=tuning),
            partial(_workers, handle=handle, tuning=tuning),
        ]
    )
    callback.add_routes(app)
    health.add_routes(app)
    return app


def run_alert_scheduler(app: web.Application) -> AlertScheduler:
    """Run the alert schedule (DESIGN §6) with ``app``: started last, stopped first."""
    scheduler = create_scheduler(
        app[OWN_TRANSACTIONS],
        app[SETTINGS],
        clock=app[CLOCK],
        on_approvals_expired=announce_expired,
    )
    app[SCHEDULER] = scheduler
    app.cleanup_ctx.append(partial(_scheduler, scheduler=scheduler))
    return scheduler


def _callback_crypto(settings: Settings) -> CallbackCrypto:
    token = settings.wecom_token.get_secret_value()
    aes_key = settings.wecom_aes_key.get_secret_value()
    return CallbackCrypto(token, aes_key, settings.wecom_corp_id)


async def _database(app: web.Application) -> AsyncIterator[None]:
    if (path := storage.sqlite_file(app[SETTINGS].database_url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)  # the data dir, on a first start
    engine = create_engine(app[SETTINGS].database_url)
    # The read lane's. On SQLite connections of their own, run inline on this event loop:
    # in WAL a read never waits for the committer's batch on the database thread (nor for its
    # write lock), and aiosqlite's four thread hops per statement, each a wait for the GIL
    # that the busy database thread holds, made a 查 under load 3-4x its idle time.
    reader = create_engine(app[SETTINGS].database_url, read_only=True, inline=True)
    # Opened, not created: the archive exists once `jxc archive` has run (read by 单据 <号>).
    archive = ArchiveDatabase.open(archive_url(app[SETTINGS]))
    try:
        await storage.upgrade(engine)
        app[ENGINE] = engine
        app[SESSIONS] = create_sessionmaker(engine)
        app[READ_SESSIONS] = create_sessionmaker(reader)
        app[ARCHIVE] = archive
        yield
    finally:
        await archive.dispose()
        await reader.dispose()
        await engine.dispose()


async def _group_commit(app: web.Application) -> AsyncIterator[None]:
    """Chat messages of different users share transactions; on SQLite, on the database thread.

    Should the committer's writer die, the instance is broken (``BROKEN``): see
    ``core.storage.group_commit`` for why it is not restarted in place.
    """
    async with AsyncExitStack() as stack:
        thread = None
        if not is_postgres(app[ENGINE]):
            thread = await stack.enter_async_context(DatabaseThread(app[SETTINGS].database_url))
        app[DB_THREAD] = thread
        committer = GroupCommitter(new_uow(app), thread, on_death=lambda _: app[BROKEN].set())
        app[COMMITTER] = await stack.enter_async_context(committer)
        lane = ReadLane(
            partial(new_uow, app, read_only=True),
            committer.run,
            enabled=app[SETTINGS].wecom_passive_replies,
            delivered=app[DELIVERED],
        )
        app[READ_LANE] = lane
        stack.push_async_callback(lane.close)  # its records go through the committer first
        yield


async def _wecom_client(
    app: web.Application, *, http_session: aiohttp.ClientSession | None, tuning: Tuning
) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Keep-alive connections, enough for every send in flight and a token fetch.
    limit = tuning.delivery.max_in_flight + 4
    session = http_session or aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit))
    try:
        app[WECOM] = WeComClient(
            session,
            settings.wecom_api_base,
            settings.wecom_corp_id,
            settings.wecom_secret,
            settings.wecom_agent_id,
            app[CLOCK],
            max_attempts=tuning.api_max_attempts,
            retry_base_delay=tuning.api_retry_base_delay,
            request_timeout=tuning.api_timeout,
        )
        yield
    finally:
        if http_session is None:
            await session.close()


async def _workers(app: web.Application, *, handle: Handle, tuning: Tuning) -> AsyncIterator[None]:
    metrics = app[METRICS]
    delivery = DeliveryWorker(
        partial(new_uow, app),
        WeComSender(app[WECOM], app[SETTINGS].data_dir),
        app[CLOCK],
        tuning.delivery,
        on_result=metrics.delivery,
        # Each of delivery's transactions is one claim or one outcome: no savepoint needed.
        transact=partial(app[COMMITTER].run, savepoint=False),
        delivered=app[DELIVERED],
    )
    inbox = InboxWorker(
        partial(new_uow, app),
        handle,
        max_users=tuning.max_concurrent_users,
        poll_interval=tuning.inbox_poll_interval,
        on_handled=metrics.handling_seconds.observe,
        after_commit=delivery.wake,
        transact=app[COMMITTER].run,
        # The router's batches are answered together; another ``handle`` message by message.
        handle_many=dispatch.handle_many if handle is dispatch.handle else None,
    )
    workers = Workers(inbox, delivery)
    app[WORKERS] = workers
    workers.start()
    try:
        yield
    finally:
        await workers.stop(tuning.shutdown_grace)


async def _scheduler(app: web.Application, *, scheduler: AlertScheduler) -> AsyncIterator[None]:
    profile = await in_transaction(new_uow(app), presets.current_profile)
    if profile is not None:
        scheduler.use_profile(profile)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown()
