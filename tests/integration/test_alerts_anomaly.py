"""The anomaly rule end to end: simulated histories written into the ledger (through
``documents.submit`` and through the CSV importer), the hourly schedule replayed on a frozen
clock, alerts read back from the outbox.

Posting costs milliseconds a document, so these take a small shop (a quarter of the
simulator's traffic), the ten days before the pattern starts and windows to match (a week of
baseline, five watched days); the default windows over whole 90-day histories run in memory
in ``tests/unit/test_anomaly_detection.py`` and ``tests.support.anomaly_eval``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import ledger
from core.importer import import_documents
from core.storage import SHANGHAI, UnitOfWork
from core.storage.models import User
from notifications.scheduler import AlertScheduler
from notifications.settings import AlertSettings, AnomalySettings
from tests.support.alerts import make_scheduler, outbox
from tests.support.anomaly_runs import fire_times
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop
from tests.support.store_simulator import StoreHistory, catalogue, simulate

LOOKBACK = timedelta(days=10)
# A quarter of the traffic: the floor under a clerk's usual day scales with it.
SHORT = AlertSettings(
    anomaly=AnomalySettings(baseline_days=7, watch_days=5, learning_days=5, min_daily=0.0125)
)


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)

    async def add(u: UnitOfWork) -> None:
        u.session.add_all(catalogue())

    await run(uow, add)
    return uow


@pytest.fixture
def scheduler(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> AlertScheduler:
    return make_scheduler(engine, clock, settings, alerts=SHORT)


def recent_history(seed: int) -> StoreHistory:
    history = simulate(seed, scale=0.25)
    assert history.fraud_started_at is not None
    start = history.fraud_started_at
    return history.between(start - LOOKBACK, start + timedelta(days=3, hours=1))


async def replay_hourly(
    history: StoreHistory, scheduler: AlertScheduler, clock: ManualClock
) -> dict[str, object]:
    """Fire the anomaly job hourly around the start; first alert time per subject."""
    assert history.fraud_started_at is not None
    first: dict[str, object] = {}
    start = history.fraud_started_at
    for fire in fire_times(history, start - timedelta(days=1), start + timedelta(days=3)):
        clock.now = fire
        report = await scheduler.fire("anomaly", fire)
        assert report is not None
        for subject in report.alerted:
            first.setdefault(subject, fire)
    return first


async def assert_named_within_three_days(
    shop: UnitOfWork, history: StoreHistory, first: dict[str, object], name: str | None = None
) -> None:
    assert history.fraud is not None and history.fraud_started_at is not None
    subject = f"clerk:{history.fraud.clerk}"
    assert list(first) == [subject]
    assert first[subject] - history.fraud_started_at <= timedelta(days=3)  # type: ignore[operator]
    sent, *later = await outbox(shop, "anomaly")
    # Once per pattern: a later message only when new evidence joins.
    assert len(later) <= 1 and all("一致的信号" in x.text for x in later)
    assert sent.channel == "user" and sent.target == "audit|boss|mgr1"
    shown = name or history.fraud.clerk
    assert f"店员 {shown}（{history.fraud.clerk}）" in sent.text
    assert "冲销当天早些时候本人销售的单据" in sent.text
    assert "一致的信号：冲销本人销售高于本人以往" in sent.text
    fraud_docs = [d for d in history.documents if d.fraud and d.at < first[subject]]  # type: ignore[operator]
    assert any(d.number in sent.text for d in fraud_docs)
    local = fraud_docs[-1].at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    assert local in sent.text
    # Each listed reversal names whose sale it undid: the clerk's own, by name.
    assert f"冲销 {shown} " in sent.text
    if name is not None:
        assert f"冲销 {history.fraud.clerk} " not in sent.text


async def test_the_rule_names_the_clerk_from_documents_posted_through_the_ledger(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    history = recent_history(seed=1)
    assert history.fraud is not None

    async def write(u: UnitOfWork) -> None:
        u.session.add(User(userid=history.fraud.clerk, name="赵小东", role="clerk"))
        for command in history.commands():
            await ledger.submit(u, command, enforce_policy=False)

    await run(shop, write)
    first = await replay_hourly(history, scheduler, clock)
    await assert_named_within_three_days(shop, history, first, name="赵小东")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_rule_names_the_clerk_in_a_history_imported_from_csv(
    shop: UnitOfWork,
    scheduler: AlertScheduler,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    history = recent_history(seed=1)
    path = tmp_path / "history.csv"
    history.write_csv(path)
    imported = await run(shop, lambda u: import_documents(u, path, "boss"))
    assert imported == len(history.documents)
    first = await replay_hourly(history, scheduler, clock)
    await assert_named_within_three_days(shop, history, first)
