"""The typed keys of the aiohttp application's state (set by ``bot.app``, read by the routes)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.read_lane import ReadLane
from bot.wecom_api import WeComClient
from bot.wecom_crypto import CallbackCrypto
from bot.workers import Workers
from config import Settings
from core.archive import ArchiveDatabase
from core.common import Clock
from core.storage import DatabaseThread, GroupCommitter, Transact, UnitOfWork
from notifications.outbox_worker import Delivered


class SchedulerState(Protocol):
    """What ``/healthz`` needs of the alert scheduler: a JSON-able state."""

    def state(self) -> str | dict[str, Any]: ...


SETTINGS = web.AppKey("jxc_settings", Settings)
CLOCK: web.AppKey[Clock] = web.AppKey("jxc_clock")
CRYPTO = web.AppKey("jxc_crypto", CallbackCrypto)
METRICS = web.AppKey("jxc_metrics", Metrics)
SCHEDULER: web.AppKey[SchedulerState | None] = web.AppKey("jxc_scheduler")
ENGINE = web.AppKey("jxc_engine", AsyncEngine)
SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("jxc_sessions")
# Read-only snapshots beside the writer (the read lane); the database refuses their writes.
READ_SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("jxc_read_sessions")
ARCHIVE = web.AppKey("jxc_archive", ArchiveDatabase)
WECOM = web.AppKey("jxc_wecom", WeComClient)
WORKERS = web.AppKey("jxc_workers", Workers)
COMMITTER = web.AppKey("jxc_committer", GroupCommitter)
READ_LANE = web.AppKey("jxc_read_lane", ReadLane)
# Replies the delivery worker sent whose outcome is not recorded yet: the read lane's to see.
DELIVERED = web.AppKey("jxc_delivered", Delivered)
# Work kept out of the committer's shared transactions (``/healthz``, the alert schedule).
OWN_TRANSACTIONS: web.AppKey[Transact] = web.AppKey("jxc_own_transactions")
# SQLite's database thread; None on PostgreSQL.
DB_THREAD: web.AppKey[DatabaseThread | None] = web.AppKey("jxc_db_thread")
# Set when this instance can no longer work (its group committer died): ``jxc serve`` exits
# non-zero so the supervisor starts a fresh process.
BROKEN = web.AppKey("jxc_broken", asyncio.Event)


def new_uow(app: web.Application, *, read_only: bool = False) -> UnitOfWork:
    """A unit of work on the app's database, archive, clock and settings (one per transaction);
    ``read_only``: on the read lane's snapshots, never on the writer's connections."""
    settings = app[SETTINGS]
    return UnitOfWork(
        app[READ_SESSIONS] if read_only else app[SESSIONS],
        clock=app[CLOCK],
        tz=ZoneInfo(settings.timezone),
        settings=settings,
        archive=app[ARCHIVE],
    )
