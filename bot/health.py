"""Operations endpoints: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text).

``/healthz`` answers 503 only when the database cannot be reached: that is the one state in
which this instance cannot take callbacks. Dead letters and stopped workers are reported (and
make ``status`` "degraded") but keep it 200, since restarting the instance would not fix them.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from bot.appkeys import METRICS, SCHEDULER, SESSIONS, WORKERS
from core.messaging import inbox, outbox

log = logging.getLogger(__name__)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


async def _backlogs(app: web.Application) -> dict[str, int]:
    async with app[SESSIONS]() as session:
        received = await inbox.status_counts(session)
        outgoing = await outbox.status_counts(session)
    return {
        "inbox_backlog": received.get(inbox.PENDING, 0),
        "inbox_failed": received.get(inbox.FAILED, 0),
        "outbox_backlog": outgoing.get(outbox.PENDING, 0),
        "dead_letters": outgoing.get(outbox.DEAD, 0),
    }


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    scheduler = app[SCHEDULER]
    workers = app[WORKERS].state()
    report: dict[str, Any] = {
        "scheduler": "absent" if scheduler is None else scheduler.state(),
        "workers": workers,
    }
    try:
        counts = await _backlogs(app)
    except (SQLAlchemyError, OSError) as error:
        log.warning("healthz_db_unreachable", extra={"error": type(error).__name__})
        report.update(status="down", db="unreachable")
        return web.json_response(report, status=503)
    healthy = counts["dead_letters"] == 0 and all(s == "running" for s in workers.values())
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
