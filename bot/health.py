"""Operations endpoints: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text).

``/healthz`` answers 503 when this instance cannot take callbacks: the database cannot be
reached, or the group committer (or SQLite's database thread under it) is dead, in which case
``jxc serve`` is already exiting for its supervisor to restart it. Dead letters, stopped
workers and a lag of more than ``LAG_LIMIT_S`` (the oldest pending inbox or outbox row: a
WeCom outage with a backlog) make ``status`` "degraded" but keep it 200, since restarting the
instance would not fix them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from bot.appkeys import (
    CLOCK,
    COMMITTER,
    DB_THREAD,
    METRICS,
    OWN_TRANSACTIONS,
    SCHEDULER,
    WORKERS,
)
from core.messaging import inbox, outbox
from core.storage import UnitOfWork

log = logging.getLogger(__name__)

LAG_LIMIT_S = 60.0


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


def _lag(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else round(max((now - since).total_seconds(), 0.0), 1)


async def _read_backlogs(
    uow: UnitOfWork,
) -> tuple[dict[str, int], dict[str, int], datetime | None, datetime | None]:
    session = uow.session
    return (
        await inbox.status_counts(session),
        await outbox.status_counts(session),
        await inbox.oldest_pending_since(session),
        await outbox.oldest_pending_since(session),
    )


async def _backlogs(app: web.Application) -> dict[str, Any]:
    # Not the group committer: a dead committer is reported above, and these reads must not
    # wait behind a batch of chat messages.
    received, outgoing, inbox_since, outbox_since = await app[OWN_TRANSACTIONS](_read_backlogs)
    now = app[CLOCK]()
    return {
        "inbox_backlog": received.get(inbox.PENDING, 0),
        "inbox_failed": received.get(inbox.FAILED, 0),
        "inbox_lag_s": _lag(now, inbox_since),
        "outbox_backlog": outgoing.get(outbox.PENDING, 0),
        "outbox_lag_s": _lag(now, outbox_since),
        "dead_letters": outgoing.get(outbox.DEAD, 0),
    }


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    scheduler = app[SCHEDULER]
    workers = app[WORKERS].state()
    thread = app[DB_THREAD]
    report: dict[str, Any] = {
        "scheduler": "absent" if scheduler is None else scheduler.state(),
        "workers": workers,
        "committer": app[COMMITTER].state(),
        "db_thread": "absent" if thread is None else thread.state(),
    }
    if report["committer"] != "running" or report["db_thread"] not in ("running", "absent"):
        report.update(status="down")
        return web.json_response(report, status=503)
    try:
        counts = await _backlogs(app)
    except (SQLAlchemyError, OSError) as error:
        log.warning("healthz_db_unreachable", extra={"error": type(error).__name__})
        report.update(status="down", db="unreachable")
        return web.json_response(report, status=503)
    healthy = (
        counts["dead_letters"] == 0
        and all(s == "running" for s in workers.values())
        and max(counts["inbox_lag_s"], counts["outbox_lag_s"]) <= LAG_LIMIT_S
    )
    report.update(status="ok" if healthy else "degraded", db="ok", **counts)
    return web.json_response(report)


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    try:
        counts = await _backlogs(app)
    except (SQLAlchemyError, OSError):
        log.warning("metrics_db_unreachable")
    else:
        app[METRICS].outbox_backlog.set(counts["outbox_backlog"])
    return web.Response(
        body=app[METRICS].exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )
