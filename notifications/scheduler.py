"""The alert schedule of DESIGN §6 on APScheduler 3.x, safe with several instances.

Every job is a cron trigger in the shop's time zone, so all instances agree on fire times.
A run takes the job's lease (``notifications.leases``) for half the time to its next fire, in
the same transaction as the rule (the ``Transact`` that ``bot/app.py`` injects): a peer firing
a moment later finds it held and skips. The rule runs as if at the scheduled fire time, and
outbox dedupe keys carry that time, so even a run repeated by a peer whose clock is off writes
nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from config import Settings
from core import approvals
from core.common import ApprovalView, Clock, utcnow
from core.messaging import leases
from core.presets import Profile
from core.storage import Transact, UnitOfWork
from notifications.registry import RULES, run_rule
from notifications.report import RuleReport
from notifications.scan_session_expiry import end_idle_sessions
from notifications.settings import AlertSettings

log = logging.getLogger(__name__)

EXPIRE_APPROVALS = "expire-approvals"
END_SCAN_SESSIONS = "end-scan-sessions"
# Every rule on its registry schedule, and the sweeps (approval expiry, idle scan sessions),
# which are no alerts.
DEFAULT_SCHEDULES: Mapping[str, Mapping[str, str]] = {
    **{name: rule.schedule for name, rule in RULES.items()},
    EXPIRE_APPROVALS: {"minute": "*/5"},
    END_SCAN_SESSIONS: {"minute": "*"},
}
MAX_HOLD = timedelta(minutes=10)
MISFIRE_GRACE_SECONDS = 300
ExpiredHook = Callable[[UnitOfWork, list[ApprovalView]], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    fire_time: datetime
    result: str


class AlertScheduler:
    def __init__(
        self,
        transact: Transact,
        tz: ZoneInfo,
        *,
        alerts: AlertSettings | None = None,
        schedules: Mapping[str, Mapping[str, str]] = DEFAULT_SCHEDULES,
        holder: str | None = None,
        clock: Clock = utcnow,
        on_approvals_expired: ExpiredHook | None = None,
    ) -> None:
        self.transact = transact
        self.alerts = alerts or AlertSettings()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.clock = clock
        self.on_approvals_expired = on_approvals_expired
        self.triggers = {name: CronTrigger(timezone=tz, **f) for name, f in schedules.items()}
        self.scheduler = AsyncIOScheduler(timezone=tz)
        self.last: dict[str, Outcome] = {}
        # The shop's preset may run fewer rules; None runs every rule of the schedule.
        self.enabled: frozenset[str] | None = None
        self.tz = tz

    def use_profile(self, profile: Profile) -> None:
        """Before ``start``: the preset's rules, its schedule changes and category expiry days."""
        self.enabled = profile.alert_rules | {EXPIRE_APPROVALS, END_SCAN_SESSIONS}
        for name, fields in profile.schedules.items():
            self.triggers[name] = CronTrigger(timezone=self.tz, **fields)
        self.alerts = replace(self.alerts, expiry_days_by_category=profile.categories)

    def start(self) -> None:
        """Register every job and start; needs a running event loop."""
        for name, trigger in self.triggers.items():
            self.scheduler.add_job(
                self._job, trigger, args=[name], id=name, name=name, coalesce=True,
                max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
            )  # fmt: skip
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def state(self) -> dict[str, Any]:
        """For ``/healthz``: running or not, and each job's next and last run."""
        jobs = {job.id: job for job in self.scheduler.get_jobs()}
        return {
            "running": bool(self.scheduler.running),
            "holder": self.holder,
            "jobs": {
                name: {
                    "next_run": _iso(getattr(jobs.get(name), "next_run_time", None)),
                    "last_fire": _iso(self.last[name].fire_time) if name in self.last else None,
                    "last_result": self.last[name].result if name in self.last else None,
                }
                for name in self.triggers
            },
        }

    async def _job(self, name: str) -> None:
        try:
            await self.fire(name, self.fire_time(name, self.clock()))
        except Exception:
            log.exception("scheduled job %s failed", name)

    def fire_time(self, name: str, now: datetime) -> datetime:
        """The latest scheduled fire time of ``name`` at or before ``now``."""
        trigger = self.triggers[name]
        for back in (timedelta(hours=1), timedelta(days=1), timedelta(days=8)):
            fire = trigger.get_next_fire_time(None, now - back)
            if fire is not None and fire <= now:
                while (later := trigger.get_next_fire_time(fire, fire)) and later <= now:
                    fire = later
                return fire  # type: ignore[no-any-return]
        raise ValueError(f"{name} has no fire time before {now}")

    async def fire(self, name: str, fire_time: datetime) -> RuleReport | None:
        """Run job ``name`` for ``fire_time`` unless another instance holds it; None if skipped."""
        until = fire_time + self._hold(name, fire_time)

        async def leased_run(uow: UnitOfWork) -> RuleReport | None:
            if not await leases.acquire(uow, f"alerts:{name}", self.holder, self.clock(), until):
                return None
            return await self._run(uow, name, fire_time)

        report = await self.transact(leased_run)
        if report is None:
            self.last[name] = Outcome(fire_time, "skipped: another instance runs it")
            return None
        self.last[name] = Outcome(fire_time, f"found {len(report.found)}, sent {report.messages}")
        return report

    def _hold(self, name: str, fire_time: datetime) -> timedelta:
        later = self.triggers[name].get_next_fire_time(fire_time, fire_time)
        return MAX_HOLD if later is None else min(MAX_HOLD, (later - fire_time) / 2)

    async def _run(self, uow: UnitOfWork, name: str, fire_time: datetime) -> RuleReport:
        if self.enabled is not None and name not in self.enabled:
            return RuleReport(name, fire_time)
        if name == END_SCAN_SESSIONS:
            ended = await end_idle_sessions(uow)
            return RuleReport(name, fire_time, found=ended, messages=len(ended))
        if name != EXPIRE_APPROVALS:
            return await run_rule(uow, name, fire_time, self.alerts)
        expired = await approvals.expire_due(uow)
        if expired and self.on_approvals_expired is not None:
            await self.on_approvals_expired(uow, expired)
        return RuleReport(name, fire_time, found=[a.number for a in expired])


def create_scheduler(transact: Transact, settings: Settings, **options: Any) -> AlertScheduler:
    """The composition root's entry: the default schedule in ``settings.timezone``.

    ``transact`` runs each job with its lease; ``bot/app.py`` decides which one it is.
    """
    return AlertScheduler(transact, ZoneInfo(settings.timezone), **options)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
