"""``jxc outbox``: list what waits and what died, resend dead letters, refuse what is not dead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select

from config import Settings
from core.messaging import outbox
from core.storage import (
    OutboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
)
from notifications.outbox_worker import DeliveryWorker
from tests.integration.test_outbox_delivery import RecordingSender
from tests.support.cli import jxc
from tests.support.clock import ManualClock

T = TypeVar("T")
WEBHOOK_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def on_db(db: Path, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async def run() -> T:
        url = f"sqlite+aiosqlite:///{db}"
        engine = create_engine(url)
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=url))
        try:
            return await in_transaction(uow, work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, int]:
    """Two dead letters (a user's reply, a group robot's alert) and one pending reply."""
    assert jxc(tmp_path, "db", "upgrade").returncode == 0

    async def work(uow: UnitOfWork) -> dict[str, int]:
        ids = {}
        for name, channel, target, error in (
            ("dead_user", "user", "clerk1", "WeCom API error 60020: not allow to access"),
            ("dead_webhook", "webhook", WEBHOOK_KEY, "WeCom API error 93000: invalid webhook"),
            ("pending", "user", "clerk2", None),
        ):
            row_id = await outbox.enqueue(uow, channel, target, outbox.text_payload(name))
            assert row_id is not None
            ids[name] = row_id
            if error is not None:
                await outbox.mark_dead(uow.session, row_id, error)
        return ids

    return on_db(tmp_path / "jxc.db", work)


def test_outbox_lists_pending_rows_and_dead_letters_with_their_errors(
    tmp_path: Path, shop: dict[str, int]
) -> None:
    pending = jxc(tmp_path, "outbox")
    dead = jxc(tmp_path, "outbox", "--dead")

    assert pending.returncode == 0 and dead.returncode == 0
    [row] = pending.stdout.splitlines()
    assert row.split("\t")[0] == str(shop["pending"])
    assert row.split("\t")[2:] == ["user:clerk2", "text", "attempts 0", "-"]
    lines = dead.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        str(shop["dead_user"]),
        str(shop["dead_webhook"]),
    ]
    assert lines[0].split("\t")[2:] == [
        "user:clerk1",
        "text",
        "attempts 1",
        "WeCom API error 60020: not allow to access",
    ]
    assert lines[1].split("\t")[2] == "webhook:…5aaa"
    assert WEBHOOK_KEY not in dead.stdout
    assert dead.stderr.strip() == "2 dead"


def test_retry_resends_one_dead_letter_which_the_worker_then_delivers(
    tmp_path: Path, shop: dict[str, int]
) -> None:
    resent = jxc(tmp_path, "outbox", "--retry", str(shop["dead_user"]))

    assert (resent.returncode, resent.stdout.strip()) == (
        0,
        f"resent dead letter {shop['dead_user']}",
    )
    assert len(jxc(tmp_path, "outbox", "--dead").stdout.splitlines()) == 1
    sender = RecordingSender()

    async def run() -> int:
        url = f"sqlite+aiosqlite:///{tmp_path / 'jxc.db'}"
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        settings = Settings(database_url=url)
        clock = ManualClock(datetime.now(UTC) + timedelta(minutes=1))  # every row is due
        try:
            return await DeliveryWorker(
                lambda: UnitOfWork(sessions, settings=settings), sender, clock
            ).deliver_due()
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == 2
    assert sorted(sender.sent) == [("user", "clerk1", "dead_user"), ("user", "clerk2", "pending")]


def test_retry_dead_resends_every_dead_letter_with_fresh_attempts(
    tmp_path: Path, shop: dict[str, int]
) -> None:
    resent = jxc(tmp_path, "outbox", "--retry-dead")

    assert resent.returncode == 0
    assert resent.stdout.strip() == (
        f"resent 2 dead letter(s): {shop['dead_user']}, {shop['dead_webhook']}"
    )

    async def rows(uow: UnitOfWork) -> list[tuple[str, int]]:
        found = await uow.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
        )
        return [(status, attempts) for status, attempts in found]

    assert on_db(tmp_path / "jxc.db", rows) == [("pending", 0)] * 3
    assert jxc(tmp_path, "outbox", "--retry-dead").stdout.strip() == "resent 0 dead letter(s)"


def test_retry_of_an_unknown_id_or_a_row_that_is_not_dead_says_so_and_changes_nothing(
    tmp_path: Path, shop: dict[str, int]
) -> None:
    unknown = jxc(tmp_path, "outbox", "--retry", "999")
    not_dead = jxc(tmp_path, "outbox", "--retry", str(shop["pending"]))

    assert (unknown.returncode, unknown.stderr.strip()) == (1, "jxc outbox: no outbox row 999")
    assert not_dead.returncode == 1
    assert not_dead.stderr.strip() == (
        f"jxc outbox: row {shop['pending']} is pending, not dead: only dead letters are resent"
    )
    assert len(jxc(tmp_path, "outbox", "--dead").stdout.splitlines()) == 2
