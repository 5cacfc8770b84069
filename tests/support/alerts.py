"""Helpers for the alert tests: run a rule or a scheduled job, read what went to the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import ledger
from core.ledger import DocumentCommand
from core.storage import SHANGHAI, OutboxMessage, UnitOfWork, create_sessionmaker, own_transactions
from notifications.registry import run_rule
from notifications.report import RuleReport
from notifications.scheduler import AlertScheduler
from notifications.settings import AlertSettings
from tests.support.clock import ManualClock
from tests.support.ledger import run


@dataclass(frozen=True)
class Sent:
    channel: str
    target: str
    text: str
    dedupe_key: str


async def outbox(uow: UnitOfWork, rule: str | None = None) -> list[Sent]:
    async def read(u: UnitOfWork) -> list[Sent]:
        rows = await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [
            Sent(r.channel, r.target, r.payload["markdown"]["content"], r.dedupe_key or "")
            for r in rows
            if r.dedupe_key and r.dedupe_key.startswith(f"alert:{rule or ''}")
        ]

    return await run(uow, read)


async def cards(uow: UnitOfWork, rule: str) -> list[Sent]:
    """The alert cards ``rule`` wrote (title and rows as the text), oldest first."""

    async def read(u: UnitOfWork) -> list[Sent]:
        rows = await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [
            Sent(r.channel, r.target, _card_text(r.payload["card"]), r.dedupe_key or "")
            for r in rows
            if r.dedupe_key and r.dedupe_key.startswith(f"card:{rule}:")
        ]

    return await run(uow, read)


def _card_text(card: dict[str, Any]) -> str:
    return "\n".join([card["title"], *(f"{name} {value}" for name, value in card["rows"])])


async def rule(
    uow: UnitOfWork, name: str, at: datetime, settings: AlertSettings | None = None
) -> RuleReport:
    return await run(uow, lambda u: run_rule(u, name, at, settings))


async def post(uow: UnitOfWork, cmd: DocumentCommand, *, policy: bool = False) -> Any:
    return await run(uow, lambda u: ledger.submit(u, cmd, enforce_policy=policy))


async def drive(
    scheduler: AlertScheduler, job: str, clock: ManualClock, until: datetime
) -> list[RuleReport]:
    """Fire ``job`` at each of its scheduled times up to ``until``, moving the clock there."""
    reports = []
    fire = scheduler.triggers[job].get_next_fire_time(None, clock.now)
    while fire is not None and fire <= until:
        clock.now = fire
        report = await scheduler.fire(job, fire)
        assert report is not None
        reports.append(report)
        fire = scheduler.triggers[job].get_next_fire_time(fire, fire)
    return reports


def make_scheduler(
    engine: AsyncEngine, clock: ManualClock, settings: Settings, holder: str = "test"
) -> AlertScheduler:
    """A scheduler whose units of work and lease clock follow the test's manual clock."""
    sessions = create_sessionmaker(engine)
    return AlertScheduler(
        own_transactions(lambda: UnitOfWork(sessions, clock=clock, settings=settings)),
        SHANGHAI,
        holder=holder,
        clock=clock,
    )
