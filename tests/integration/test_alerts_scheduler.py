"""The scheduler: default jobs, fire times, leases, and two instances on one database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app, run_alert_scheduler
from config import Settings
from core.common import ApprovalView
from core.ledger import Line, Receive, Sell
from core.storage import SHANGHAI, UnitOfWork, create_engine, create_sessionmaker, own_transactions
from notifications.registry import RULES
from notifications.scheduler import (
    DEFAULT_SCHEDULES,
    END_SCAN_SESSIONS,
    EXPIRE_APPROVALS,
    AlertScheduler,
    create_scheduler,
)
from tests.support.alerts import cards, make_scheduler, outbox, post
from tests.support.bot_harness import bot_settings
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    await post(uow, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(3)),)))
    return uow


async def test_start_registers_every_default_job_and_state_shows_next_runs(
    settings: Settings, engine: AsyncEngine
) -> None:
    sessions = create_sessionmaker(engine)
    scheduler = create_scheduler(
        own_transactions(lambda: UnitOfWork(sessions, settings=settings)), settings
    )
    assert scheduler.state()["running"] is False
    scheduler.start()
    try:
        state = scheduler.state()
        assert state["running"] is True
        assert set(state["jobs"]) == set(DEFAULT_SCHEDULES)
        digest = datetime.fromisoformat(state["jobs"]["digest"]["next_run"])
        assert (digest.astimezone(SHANGHAI).hour, digest.minute) == (21, 0)
        cycle = datetime.fromisoformat(state["jobs"]["cycle-count"]["next_run"])
        assert cycle.astimezone(SHANGHAI).strftime("%a %H:%M") == "Mon 08:00"
    finally:
        scheduler.shutdown()
        await asyncio.sleep(0.01)
    assert scheduler.state()["running"] is False


def test_a_run_is_dated_at_its_scheduled_fire_time(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    scheduler = make_scheduler(engine, clock, settings)
    late = datetime(2026, 11, 27, 8, 30, 2, tzinfo=SHANGHAI)
    assert scheduler.fire_time("expiry", late) == late.replace(second=0)
    assert scheduler.fire_time("low-stock", late) == late.replace(minute=30, second=0)
    assert scheduler.fire_time("cycle-count", late) == datetime(2026, 11, 23, 8, tzinfo=SHANGHAI)


async def test_a_peer_firing_the_same_run_a_moment_later_skips_it(
    shop: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    first = make_scheduler(engine, clock, settings, holder="a")
    second = make_scheduler(engine, clock, settings, holder="b")
    fire = datetime(2026, 11, 26, 10, 30, tzinfo=SHANGHAI)
    clock.now = fire
    assert await first.fire("low-stock", fire) is not None
    clock.advance(seconds=2)
    assert await second.fire("low-stock", fire) is None
    assert second.state()["jobs"]["low-stock"]["last_result"].startswith("skipped")
    clock.now = fire + timedelta(minutes=30)
    assert await second.fire("low-stock", clock.now) is not None
    assert len(await cards(shop, "low-stock")) == 1


T = TypeVar("T")


async def test_a_run_and_its_lease_go_through_the_transact_the_scheduler_is_given(
    shop: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    sessions = create_sessionmaker(engine)
    own = own_transactions(lambda: UnitOfWork(sessions, clock=clock, settings=settings))
    calls: list[str] = []

    async def counting(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        calls.append("run")
        return await own(work)

    first = AlertScheduler(counting, SHANGHAI, holder="a", clock=clock)
    second = AlertScheduler(counting, SHANGHAI, holder="b", clock=clock)
    fire = datetime(2026, 11, 26, 10, 30, tzinfo=SHANGHAI)
    clock.now = fire
    assert await first.fire("low-stock", fire) is not None
    assert await second.fire("low-stock", fire) is None
    assert calls == ["run", "run"]
    assert len(await cards(shop, "low-stock")) == 1


def test_the_apps_alert_schedule_runs_in_the_transact_the_app_injects(
    settings: Settings,
) -> None:
    async def isolated(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        raise AssertionError("not run in this test")

    # Built, never started: nothing is served and WeCom is never called.
    app = create_app(bot_settings(settings.database_url, "http://127.0.0.1:9/"), isolated=isolated)
    scheduler = run_alert_scheduler(app)
    assert scheduler.transact is isolated


async def test_the_approval_expiry_job_expires_due_requests_and_hands_them_on(
    shop: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    seen: list[str] = []

    async def hook(uow: UnitOfWork, expired: list[ApprovalView]) -> None:
        seen.extend(a.number for a in expired)

    await post(
        shop,
        Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(-1)),)),
        policy=True,
    )
    scheduler = make_scheduler(engine, clock, settings)
    scheduler.on_approvals_expired = hook
    clock.advance(hours=25)
    report = await scheduler.fire(
        "expire-approvals", scheduler.fire_time("expire-approvals", clock.now)
    )
    assert report is not None and report.found == seen == ["SP-20261126-0001"]


@pytest.mark.pg
async def test_two_instances_on_one_postgresql_deliver_each_run_once(
    pg_url: str, clock: ManualClock
) -> None:
    settings = Settings(database_url=pg_url)
    engines = [create_engine(pg_url), create_engine(pg_url)]
    shop = UnitOfWork(create_sessionmaker(engines[0]), clock=clock, settings=settings)
    await seed_shop(shop)
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(3)),)))
    peers = [make_scheduler(e, clock, settings, holder=f"i{n}") for n, e in enumerate(engines)]
    try:
        for job in ("low-stock", "digest", "cycle-count", "negative-stock", "anomaly"):
            for fire in _fire_times(peers[0].triggers[job], clock.now, count=3):
                clock.now = fire
                results = await asyncio.gather(*(p.fire(job, fire) for p in peers))
                assert sum(r is not None for r in results) == 1, (job, fire)
        sent = await outbox(shop)
        keys = [s.dedupe_key for s in sent]
        assert len(keys) == len(set(keys))
        assert len(await cards(shop, "low-stock")) == 1
        assert sum(s.dedupe_key.startswith("alert:digest") for s in sent) == 3 * 2
        assert sum(s.dedupe_key.startswith("alert:cycle-count") for s in sent) == 3
    finally:
        for engine in engines:
            await engine.dispose()


def _fire_times(trigger: object, start: datetime, count: int) -> list[datetime]:
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)  # type: ignore[attr-defined]
    while len(times) < count:
        times.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire)  # type: ignore[attr-defined]
    return times


def test_every_registered_rule_is_scheduled_as_its_entry_says(
    settings: Settings, engine: AsyncEngine
) -> None:
    sessions = create_sessionmaker(engine)
    scheduler = create_scheduler(
        own_transactions(lambda: UnitOfWork(sessions, settings=settings)), settings
    )
    tz = ZoneInfo(settings.timezone)
    for name, rule in RULES.items():
        assert str(scheduler.triggers[name]) == str(CronTrigger(timezone=tz, **rule.schedule))
    assert set(scheduler.triggers) == set(RULES) | {EXPIRE_APPROVALS, END_SCAN_SESSIONS}
