"""Outbox claiming and the delivery worker on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.common import utcnow
from core.messaging import outbox
from core.storage import (
    DeliveryInstance,
    OutboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
    own_transactions,
)
from notifications.outbox_worker import DeliveryFailed, DeliveryPolicy, DeliveryWorker, Instance
from tests.support.clock import ManualClock

T = TypeVar("T")
POLICY = DeliveryPolicy(retry_base=timedelta(seconds=10), max_attempts=3)
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock() -> ManualClock:
    # ``outbox.enqueue`` stamps rows with the wall clock; start a little after it.
    return ManualClock(utcnow() + timedelta(minutes=1))


def uow_factory(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> Callable[[], UnitOfWork]:
    sessions = create_sessionmaker(engine)
    return lambda: UnitOfWork(sessions, clock=clock, settings=settings)


@pytest.fixture
def new_uow(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> Callable[[], UnitOfWork]:
    return uow_factory(engine, clock, settings)


class RecordingSender:
    """Records what it sends; raises the queued failures first; is slow to send ``slow`` texts."""

    def __init__(self, *failures: DeliveryFailed, slow: frozenset[str] = frozenset()) -> None:
        self.failures = list(failures)
        self.slow = slow
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        # A slow answer, or at least a chance for concurrent sends to interleave.
        await asyncio.sleep(0.05 if payload["text"]["content"] in self.slow else 0)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((channel, target, payload["text"]["content"]))
        return {"errcode": 0, "errmsg": "ok", "response_code": f"code-{len(self.sent)}"}


async def enqueue(new_uow: Callable[[], UnitOfWork], *rows: tuple[str, str, str]) -> None:
    async def work(uow: UnitOfWork) -> None:
        for channel, target, text in rows:
            await outbox.enqueue(uow, channel, target, outbox.text_payload(text))

    await in_transaction(new_uow(), work)


async def stored(new_uow: Callable[[], UnitOfWork]) -> list[OutboxMessage]:
    async def work(uow: UnitOfWork) -> list[OutboxMessage]:
        return list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return await in_transaction(new_uow(), work)


def worker(
    new_uow: Callable[[], UnitOfWork], sender: RecordingSender, clock: ManualClock
) -> DeliveryWorker:
    return DeliveryWorker(new_uow, sender, clock, POLICY)


async def test_a_due_row_is_sent_once_and_the_api_answer_is_kept(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "clerk1", "hello"))
    sender = RecordingSender()
    delivery = worker(new_uow, sender, clock)

    assert await delivery.deliver_due() == 1
    assert await delivery.deliver_due() == 0

    assert sender.sent == [("user", "clerk1", "hello")]
    [row] = await stored(new_uow)
    assert (row.status, row.attempts, row.sent_at) == (outbox.SENT, 1, clock.now)
    assert row.response == {"errcode": 0, "errmsg": "ok", "response_code": "code-1"}
    assert row.claimed_by is None


async def test_one_targets_rows_are_sent_in_order_while_other_targets_go_alongside(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "b", "b1"), ("user", "a", "a2"))
    sender = RecordingSender(slow=frozenset({"a1"}))

    await worker(new_uow, sender, clock).deliver_due()

    assert [text for _, _, text in sender.sent] == ["b1", "a1", "a2"]


async def test_a_claimed_row_is_not_claimed_again_while_its_instance_lives(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "clerk1", "hello"))

    async def claim(uow: UnitOfWork) -> list[int]:
        rows = await outbox.claim_due(uow.session, clock.now, limit=10, instance="a")
        return [row.id for row in rows]

    async def live(uow: UnitOfWork) -> None:
        await outbox.register_instance(uow.session, "a", "elsewhere", 1, clock.now)

    await in_transaction(new_uow(), live)
    assert len(await in_transaction(new_uow(), claim)) == 1
    clock.advance(hours=1)
    assert await in_transaction(new_uow(), claim) == []


async def test_a_retryable_failure_is_retried_after_an_exponential_backoff(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "clerk1", "hello"))
    busy = DeliveryFailed("WeCom API error -1: system busy", retryable=True)
    sender = RecordingSender(busy, busy)
    delivery = worker(new_uow, sender, clock)
    start = clock.now

    await delivery.deliver_due()
    [row] = await stored(new_uow)
    assert (row.attempts, row.next_attempt_at, row.last_error) == (
        1,
        start + 10 * SECOND,
        busy.reason,
    )
    clock.advance(seconds=10)
    await delivery.deliver_due()
    [row] = await stored(new_uow)
    assert (row.attempts, row.next_attempt_at) == (2, start + 30 * SECOND)
    clock.advance(seconds=19)
    assert await delivery.deliver_due() == 0
    clock.advance(seconds=1)
    await delivery.deliver_due()

    [row] = await stored(new_uow)
    assert (row.status, row.attempts) == (outbox.SENT, 3)
    assert sender.sent == [("user", "clerk1", "hello")]


async def test_a_non_retryable_failure_is_a_dead_letter_at_once_with_the_reason_logged(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue(new_uow, ("user", "nobody", "hello"))
    invalid = DeliveryFailed("WeCom API error 81013: all recipients invalid", retryable=False)
    delivery = worker(new_uow, RecordingSender(invalid), clock)

    with caplog.at_level(logging.ERROR, logger="notifications.outbox_worker"):
        await delivery.deliver_due()

    [row] = await stored(new_uow)
    assert (row.status, row.attempts, row.last_error) == (outbox.DEAD, 1, invalid.reason)
    [record] = [r for r in caplog.records if r.getMessage() == "outbox_dead_letter"]
    assert record.__dict__["reason"] == invalid.reason
    counts = await in_transaction(new_uow(), lambda u: outbox.status_counts(u.session))
    assert counts == {outbox.DEAD: 1}


async def test_retries_end_in_a_dead_letter_after_the_last_attempt(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "clerk1", "hello"))
    busy = DeliveryFailed("http 502", retryable=True)
    delivery = worker(new_uow, RecordingSender(busy, busy, busy, busy), clock)

    for _ in range(POLICY.max_attempts):
        await delivery.deliver_due()
        clock.advance(hours=1)

    [row] = await stored(new_uow)
    assert (row.status, row.attempts) == (outbox.DEAD, POLICY.max_attempts)


async def test_a_user_gets_at_most_30_messages_a_minute_and_the_rest_wait_in_order(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, *[("user", "clerk1", f"m{n}") for n in range(35)])
    await enqueue(new_uow, ("user", "clerk2", "other"))
    sender = RecordingSender()
    delivery = worker(new_uow, sender, clock)

    await delivery.deliver_due()
    assert [text for _, _, text in sender.sent if text != "other"] == [f"m{n}" for n in range(30)]
    assert ("user", "clerk2", "other") in sender.sent
    clock.advance(seconds=59)
    assert await delivery.deliver_due() == 0
    clock.advance(seconds=1)
    await delivery.deliver_due()

    assert [text for _, _, text in sender.sent if text != "other"] == [f"m{n}" for n in range(35)]
    assert all(row.status == outbox.SENT and row.attempts == 1 for row in await stored(new_uow))


async def test_a_group_robot_gets_at_most_20_messages_a_minute(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, *[("webhook", "robot-key", f"m{n}") for n in range(25)])
    sender = RecordingSender()
    delivery = worker(new_uow, sender, clock)

    await delivery.deliver_due()
    assert len(sender.sent) == 20
    clock.advance(minutes=1)
    await delivery.deliver_due()
    assert len(sender.sent) == 25


@pytest.mark.pg
async def test_two_delivery_workers_on_postgresql_never_send_a_row_twice_nor_out_of_order(
    pg_url: str, clock: ManualClock
) -> None:
    engines = [create_engine(pg_url), create_engine(pg_url)]
    settings = Settings(database_url=pg_url)
    uows = [uow_factory(engine, clock, settings) for engine in engines]
    await enqueue(uows[0], *[("user", f"user{n % 40}", f"m{n}") for n in range(400)])
    # Each holds fewer rows than there are targets, so both always find some to claim.
    policy = DeliveryPolicy(max_in_flight=10, max_claimed=10)
    senders = [RecordingSender(), RecordingSender()]
    senders[1].sent = senders[0].sent  # one log of both, in the order the sends happened
    workers = [DeliveryWorker(u, s, clock, policy) for u, s in zip(uows, senders, strict=True)]

    async def drain(worker: DeliveryWorker) -> int:
        claimed = 0
        while found := await worker.deliver_due():
            claimed += found
        return claimed

    try:
        claimed = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for engine in engines:
            await engine.dispose()

    assert all(claimed) and sum(claimed) == 400
    log = senders[0].sent
    sent = Counter(text for _, _, text in log)
    assert len(sent) == 400 and set(sent.values()) == {1}
    for user in range(40):
        mine = [int(text[1:]) for _, target, text in log if target == f"user{user}"]
        assert mine == sorted(mine)


async def claim_as(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock, instance: Instance
) -> list[int]:
    """``instance`` registers and claims what is due, then (as if killed) never sends it."""

    async def work(uow: UnitOfWork) -> list[int]:
        await outbox.register_instance(
            uow.session, instance.id, instance.host, instance.pid, clock.now
        )
        rows = await outbox.claim_due(uow.session, clock.now, limit=10, instance=instance.id)
        return [row.id for row in rows]

    return await in_transaction(new_uow(), work)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def test_a_silent_instances_claims_are_taken_over_once_its_heartbeat_is_stale(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "b", "b1"), ("user", "a", "a2"))
    elsewhere = Instance("other-host:1:x", "other-host", 1)
    assert len(await claim_as(new_uow, clock, elsewhere)) == 2  # a1 and b1: a2 waits for a1
    sender = RecordingSender()
    delivery = worker(new_uow, sender, clock)

    assert await delivery.deliver_due() == 0
    clock.advance(seconds=POLICY.stale_after.total_seconds() + 1)
    await delivery.deliver_due()

    assert [text for _, _, text in sender.sent] == ["a1", "b1", "a2"]
    assert all(row.status == outbox.SENT for row in await stored(new_uow))


async def test_a_restart_on_the_same_host_takes_over_its_dead_predecessors_claims_at_once(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "a", "a2"))
    here = socket.gethostname()
    killed = Instance(f"{here}:old", here, dead_pid())
    assert len(await claim_as(new_uow, clock, killed)) == 1
    sender = RecordingSender()

    await worker(new_uow, sender, clock).deliver_due()

    assert [text for _, _, text in sender.sent] == ["a1", "a2"]


async def test_a_live_instance_on_this_host_keeps_its_claims(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "a", "a2"))
    here = socket.gethostname()
    alive = Instance(f"{here}:alive", here, os.getpid())
    assert len(await claim_as(new_uow, clock, alive)) == 1
    sender = RecordingSender()

    assert await worker(new_uow, sender, clock).deliver_due() == 0
    assert sender.sent == []


async def test_a_targets_next_row_waits_for_its_retrying_head_and_goes_out_after_it(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "a", "a2"), ("user", "b", "b1"))
    busy = DeliveryFailed("http 502", retryable=True)
    sender = RecordingSender(busy)
    delivery = worker(new_uow, sender, clock)

    await delivery.deliver_due()
    assert [text for _, _, text in sender.sent] == ["b1"]
    clock.advance(seconds=10)
    await delivery.deliver_due()

    assert [text for _, _, text in sender.sent] == ["b1", "a1", "a2"]


async def test_a_targets_next_row_goes_out_after_its_head_is_a_dead_letter(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "a1"), ("user", "a", "a2"))
    sender = RecordingSender(DeliveryFailed("bad payload", retryable=False))

    await worker(new_uow, sender, clock).deliver_due()

    assert [text for _, _, text in sender.sent] == ["a2"]
    assert [row.status for row in await stored(new_uow)] == [outbox.DEAD, outbox.SENT]


class GatedSender(RecordingSender):
    """Holds every send of ``held`` until ``gate`` opens."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.gate = asyncio.Event()

    async def send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        if payload["text"]["content"] == self.held:
            await self.gate.wait()
        return await super().send(channel, target, payload)


async def test_one_slow_send_holds_only_its_own_target_while_the_worker_keeps_claiming(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "slow", "s1"), ("user", "slow", "s2"))
    await enqueue(new_uow, *[("user", f"u{n}", f"m{n}-{k}") for n in range(40) for k in range(3)])
    sender = GatedSender("s1")
    delivery = DeliveryWorker(new_uow, sender, clock, replace(POLICY, max_in_flight=8))
    running = asyncio.create_task(delivery.run())
    try:
        async with asyncio.timeout(30):
            while len(sender.sent) < 120:  # noqa: ASYNC110 - the sender has no event to await
                await asyncio.sleep(0.01)
        assert all(text[0] == "m" for _, _, text in sender.sent)
        sender.gate.set()
        async with asyncio.timeout(30):
            while len(sender.sent) < 122:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        delivery.stop()
        await asyncio.wait_for(running, 10)

    assert [text for _, _, text in sender.sent][-2:] == ["s1", "s2"]
    for n in range(40):
        assert [t for _, _, t in sender.sent if t.startswith(f"m{n}-")] == [
            f"m{n}-{k}" for k in range(3)
        ]


async def test_a_clean_stop_releases_its_claims_and_its_heartbeat_row(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    delivery = worker(new_uow, RecordingSender(), clock)
    running = asyncio.create_task(delivery.run())
    await asyncio.sleep(0.05)
    delivery.stop()
    await asyncio.wait_for(running, 10)

    async def instances(uow: UnitOfWork) -> list[str]:
        return [i.id for i in await uow.session.scalars(select(DeliveryInstance))]

    assert await in_transaction(new_uow(), instances) == []


async def test_an_identical_second_reply_is_made_distinct_and_a_different_one_is_left_alone(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await enqueue(
        new_uow, ("user", "a", "现有 5"), ("user", "a", "现有 5"), ("user", "b", "现有 5")
    )
    await enqueue(new_uow, ("user", "a", "现有 5"), ("user", "a", "现有 4"))

    texts = [row.payload["text"]["content"] for row in await stored(new_uow)]

    assert texts == ["现有 5", "现有 5\u200b", "现有 5", "现有 5\u200b\u200b", "现有 4"]


async def test_a_reply_repeating_one_sent_long_ago_needs_no_mark(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, ("user", "a", "现有 5"))
    await worker(new_uow, RecordingSender(), clock).deliver_due()

    async def later(uow: UnitOfWork) -> None:
        uow.clock = lambda: clock.now + 2 * outbox.DUPLICATE_CHECK_INTERVAL + SECOND
        await outbox.enqueue(uow, "user", "a", outbox.text_payload("现有 5"))

    await in_transaction(new_uow(), later)

    assert [row.payload["text"]["content"] for row in await stored(new_uow)] == ["现有 5"] * 2


async def test_sends_that_finish_together_are_recorded_together_with_the_next_claim(
    new_uow: Callable[[], UnitOfWork], clock: ManualClock
) -> None:
    await enqueue(new_uow, *[("user", f"u{n}", f"m{n}") for n in range(20)])
    sender = RecordingSender()
    transactions = 0
    own = own_transactions(new_uow)

    async def counted(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        nonlocal transactions
        transactions += 1
        return await own(work)

    policy = replace(POLICY, max_in_flight=4, max_claimed=20)
    delivery = DeliveryWorker(new_uow, sender, clock, policy, transact=counted)

    assert await delivery.deliver_due() == 20

    assert sorted(text for _, _, text in sender.sent) == sorted(f"m{n}" for n in range(20))
    assert all(
        row.status == outbox.SENT and row.claimed_by is None for row in await stored(new_uow)
    )
    # A transaction per send (and one per claim) before; now one registers, one takes over
    # what the dead left, and each pass records every send that finished since the last.
    assert transactions < 20
