"""The outbox delivery worker: claim due rows, send each through a ``Sender``, record the outcome.

- A row is sent at most once per claim, and a claim is exclusive (see
  ``core.messaging.outbox``). A finished send frees its slot at once; its outcome waits for
  the next pass, which records every outcome that came in meanwhile and claims rows for the
  free slots in one transaction (the sent rows in one statement). The row stays claimed until
  its outcome is committed, so nothing sends it again meanwhile and its target's next row
  waits for it. Only a crash between a send and that commit, or an answer lost after WeCom
  delivered, can repeat a send; WeCom's duplicate check (``bot.wecom_api``) keeps the repeat
  from reaching the user.
- Each worker is an instance with an id and a heartbeat row (every ``heartbeat_interval``).
  Starting, and at every beat, it releases the claims of instances that are gone: silent for
  ``stale_after``, or on this host with their process no longer running (a restart takes over
  its predecessor's claims at once). A clean stop releases its own claims.
- Up to ``max_in_flight`` sends run at once, each its own task; a pass claims ahead, up to
  ``max_claimed`` rows held, so a finished send starts the next claimed row at once. One slow
  send holds nothing but its own target (whose next row waits for it: rows of one target go
  out in id order). A pass whose transaction fails keeps its outcomes for the next one.
- A failure the sender calls retryable is tried again after an exponential backoff; after
  ``max_attempts`` attempts, or at once when it is not retryable, the row is a dead letter.
- WeCom silently drops what exceeds its rate limits, so the excess is held back (``defer``) to
  the next window instead of being sent: 30 messages a minute per user, 20 per group robot.
  The counts are kept in this process; several instances share the limit only roughly.
- Between a send WeCom accepted and the pass that records it, the row is in ``delivered``
  (``Delivered``), which the app shares with its read lane: a read answered in a callback's
  own response does not wait behind a reply its user already has.
- Every transaction (a pass, a heartbeat) goes through ``transact`` when one is given: the
  app passes its group committer, so a pass shares a commit with the chat's other writes
  instead of queueing for SQLite's write lock on its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.common import Clock, OutgoingMessage
from core.messaging import outbox
from core.storage import Transact, UnitOfWork, own_transactions, short_reason
from notifications.rate_limit import RateLimiter, rate_keys

log = logging.getLogger(__name__)

T = TypeVar("T")


class DeliveryFailed(Exception):
    """A send that did not happen; ``retryable`` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Sender(Protocol):
    async def send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver one outbox row; return the API's answer or raise ``DeliveryFailed``."""
        ...


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=5)
    retry_cap: timedelta = timedelta(minutes=30)
    max_in_flight: int = 32
    # Rows held at once, sending or claimed and waiting for a free send slot: a pass claims for
    # more than the slots, so a send that finishes starts the next row without waiting for one.
    max_claimed: int = 128
    poll_interval: float = 1.0
    heartbeat_interval: float = 1.0
    # Many beats: a live instance is never taken for dead because one beat's commit was slow.
    stale_after: timedelta = timedelta(seconds=6)
    user_limit: int = 30
    webhook_limit: int = 20
    rate_window: timedelta = timedelta(minutes=1)

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        doublings = min(attempts - 1, 20)  # 2**20 × any sane base is far past the cap
        return min(self.retry_base * (1 << doublings), self.retry_cap)


ResultHook = Callable[[str], None]
_Write = Callable[[AsyncSession], Awaitable[bool]]


def _ignore(_result: str) -> None:
    return None


def process_running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (one we may not signal runs too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Instance:
    """Who claims: ``id`` is unique per start; ``host`` and ``pid`` let a restart see its past."""

    id: str
    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Instance:
        host, pid = socket.gethostname(), os.getpid()
        return cls(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid)


class Delivered:
    """Rows this process sent and WeCom accepted, whose outcome is not committed yet, by target
    (``outbox.target_key``): still pending in the table, yet their user has them."""

    def __init__(self) -> None:
        self._by_target: dict[str, set[int]] = {}

    def to(self, target_key: str) -> frozenset[int]:
        return frozenset(self._by_target.get(target_key, ()))

    def add(self, row: OutgoingMessage) -> None:
        self._by_target.setdefault(row.target_key, set()).add(row.id)

    def discard(self, row: OutgoingMessage) -> None:
        rows = self._by_target.get(row.target_key)
        if rows is not None:
            rows.discard(row.id)
            if not rows:
                del self._by_target[row.target_key]


class DeliveryWorker:
    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        sender: Sender,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        on_result: ResultHook = _ignore,
        transact: Transact | None = None,
        instance: Instance | None = None,
        delivered: Delivered | None = None,
    ) -> None:
        self._transact = transact or own_transactions(new_uow)
        self.delivered = delivered or Delivered()
        self._sender = sender
        self._clock = clock
        self.policy = policy or DeliveryPolicy()
        self.instance = instance or Instance.this_process()
        self._on_result = on_result
        self._limiter = RateLimiter(
            {"user": self.policy.user_limit, "webhook": self.policy.webhook_limit},
            self.policy.rate_window,
        )
        self._wake = asyncio.Event()
        self._stopping = False
        self._registered = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._taken = 0  # rows taken in hand
        self._outcomes: list[_Outcome] = []  # sends finished, not yet recorded
        self._ready: deque[OutgoingMessage] = deque()  # claimed, waiting for a send slot

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the sends in hand, release the claims, then return from ``run``."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        beating = asyncio.create_task(self._beat(), name="jxc-delivery-heartbeat")
        try:
            while not self._stopping:
                self._wake.clear()
                wait = self.policy.poll_interval
                try:
                    await self.start()
                    passed = await self._pass()
                    if passed.claimed and passed.claimed == passed.free:
                        continue  # more may be due
                    if passed.free:
                        wait = self._until(passed.next_due, wait)
                    # With every row held, a finished send is what wakes us.
                except Exception:
                    log.exception("outbox_pass_failed")
                with suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
            self._ready.clear()  # not sent: the retire below releases their claims
            while self._in_flight or self._outcomes:
                if self._in_flight:
                    await asyncio.wait(self._in_flight)
                await self._pass()
            await self._transact(lambda uow: outbox.retire(uow.session, self.instance.id))
        finally:
            beating.cancel()
            for task in self._in_flight:
                task.cancel()

    async def start(self) -> None:
        """Register this instance (once) and take over the claims of instances that are gone."""
        if not self._registered:
            instance, now = self.instance, self._clock()
            await self._transact(
                lambda uow: outbox.register_instance(
                    uow.session, instance.id, instance.host, instance.pid, now
                )
            )
            self._registered = True
            await self._reap()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.policy.heartbeat_interval)
            try:
                await self._heartbeat()
            except Exception:
                log.exception("outbox_heartbeat_failed")

    async def _heartbeat(self) -> None:
        me, now = self.instance, self._clock()
        alive = await self._transact(lambda uow: outbox.heartbeat(uow.session, me.id, now))
        if not alive:
            # Taken for dead (a stall longer than stale_after): our claims were released and may
            # be sent by others; WeCom's duplicate check covers a send we still finish.
            log.warning("outbox_instance_revived", extra={"instance": me.id})
            await self._transact(
                lambda uow: outbox.register_instance(uow.session, me.id, me.host, me.pid, now)
            )
        if await self._reap():
            self._wake.set()

    async def _reap(self) -> int:
        me = self.instance
        stale_before = self._clock() - self.policy.stale_after

        async def work(uow: UnitOfWork) -> int:
            here = await outbox.instances_on(uow.session, me.host)
            gone = [i for i, pid in here.items() if i != me.id and not process_running(pid)]
            return await outbox.reap(uow.session, me.id, stale_before, gone)

        released: int = await self._transact(work)
        if released:
            log.info("outbox_claims_taken_over", extra={"rows": released, "instance": me.id})
        return released

    async def deliver_due(self) -> int:
        """Deliver until nothing claimable is left (also what became due as the target's previous
        row went out) and every send has finished; returns how many rows it took in hand."""
        await self.start()
        await self._reap()
        before = self._taken
        while True:
            await self._pass()
            if not self._in_flight:
                if not (self._outcomes or self._ready):
                    return self._taken - before
                continue  # sends that finished during the pass
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)

    async def _pass(self) -> _Pass:
        """Record the outcomes that came in and claim rows for the free slots, in one
        transaction; start sending what was claimed."""
        outcomes, self._outcomes = self._outcomes, []
        held = len(self._in_flight) + len(self._ready)
        free = 0 if self._stopping else self._held_limit() - held
        if not outcomes and free <= 0:
            return _Pass(0, 0, None)
        now, me = self._clock(), self.instance.id

        async def work(
            uow: UnitOfWork,
        ) -> tuple[list[_Outcome], list[OutgoingMessage], datetime | None]:
            unrecorded = await _record(uow.session, outcomes)
            if free <= 0:
                return unrecorded, [], None
            rows = await outbox.claim_due(uow.session, now, limit=free, instance=me)
            due = await outbox.next_due_at(uow.session) if len(rows) < free else None
            return unrecorded, rows, due

        try:
            unrecorded, rows, due = await self._transact(work)
        except BaseException:
            self._outcomes[:0] = outcomes  # still claimed by us: the next pass records them
            raise
        for outcome in outcomes:
            self.delivered.discard(outcome.row)
        for outcome in unrecorded:
            log.warning(
                "outbox_row_changed_under_us",
                extra={"outbox_id": outcome.row.id, "result": outcome.result},
            )
        for outcome in outcomes:
            self._on_result(outcome.result)
        self._ready.extend(rows)
        self._fill()
        return _Pass(free, len(rows), due)

    def _held_limit(self) -> int:
        return max(self.policy.max_claimed, self.policy.max_in_flight)

    def _fill(self) -> None:
        """Start sending claimed rows while there are free send slots."""
        while self._ready and len(self._in_flight) < self.policy.max_in_flight:
            task = asyncio.create_task(self._deliver_and_wake(self._ready.popleft()))
            self._in_flight.add(task)
            task.add_done_callback(self._slot_freed)

    def _slot_freed(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not self._stopping:
            self._fill()

    def _until(self, due: datetime | None, longest: float) -> float:
        if due is None:
            return longest
        # Due already yet not claimed: locked by a concurrent claim; look again shortly.
        return min(longest, max((due - self._clock()).total_seconds(), longest / 20))

    async def _deliver_and_wake(self, row: OutgoingMessage) -> None:
        self._taken += 1
        try:
            outcome = await self._deliver(row)
            self._outcomes.append(outcome)  # the list of now: a pass may have taken the last
        except Exception:
            # The row stays claimed by this live instance: a clean stop or a restart frees it.
            log.exception("outbox_delivery_crashed", extra={"outbox_id": row.id})
        finally:
            self._wake.set()

    async def _deliver(self, row: OutgoingMessage) -> _Outcome:
        """Send ``row``; what came of it, to be recorded by the next pass."""
        free_at = self._limiter.admit(rate_keys(row.channel, row.target), self._clock())
        if free_at is not None:
            return _Outcome(row, "deferred", lambda s: outbox.defer(s, row.id, free_at))
        try:
            response = await self._sender.send(row.channel, row.target, row.payload)
        except DeliveryFailed as failure:
            return self._failed(row, failure.reason, failure.retryable)
        except Exception as error:
            log.exception("outbox_send_crashed", extra={"outbox_id": row.id})
            return self._failed(row, short_reason(error), retryable=True)
        self.delivered.add(row)
        return _Outcome(row, "sent", sent=outbox.Sent(row.id, self._clock(), response))

    def _failed(self, row: OutgoingMessage, reason: str, retryable: bool) -> _Outcome:
        attempts = row.attempts + 1
        if retryable and attempts < self.policy.max_attempts:
            retry_at = self._clock() + self.policy.retry_delay(attempts)
            return _Outcome(row, "retry", lambda s: outbox.mark_retry(s, row.id, retry_at, reason))
        log.error(
            "outbox_dead_letter",
            extra={
                "outbox_id": row.id,
                "channel": row.channel,
                "attempts": attempts,
                "reason": reason,
            },
        )
        return _Outcome(row, "dead", lambda s: outbox.mark_dead(s, row.id, reason))


@dataclass(frozen=True)
class _Outcome:
    """A send's result, waiting for a pass: sent (``sent``), or another ``write`` of the row."""

    row: OutgoingMessage
    result: str
    write: _Write | None = None
    sent: outbox.Sent | None = None


@dataclass(frozen=True)
class _Pass:
    free: int  # slots the pass claimed for
    claimed: int
    next_due: datetime | None  # when claimable rows fall due, if it claimed fewer than free


async def _record(session: AsyncSession, outcomes: list[_Outcome]) -> list[_Outcome]:
    """Record every outcome; those whose row was no longer pending (changed under us)."""
    sent = [o for o in outcomes if o.sent is not None]
    closed = await outbox.mark_sent(session, [o.sent for o in sent if o.sent])
    unrecorded = [o for o in sent if o.row.id not in closed]
    for outcome in outcomes:
        if outcome.write is not None and not await outcome.write(session):
            unrecorded.append(outcome)
    return unrecorded
