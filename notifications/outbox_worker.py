"""The outbox delivery worker: claim due rows, send each through a ``Sender``, record the outcome.

- A row is sent at most once per claim, and a claim is exclusive (see
  ``core.messaging.outbox``); right after its send, the row's outcome is committed on its own,
  whatever else is in flight. Only a crash between a send and that commit, or an answer lost
  after WeCom delivered, can repeat a send; WeCom's duplicate check (``bot.wecom_api``) keeps
  the repeat from reaching the user.
- Each worker is an instance with an id and a heartbeat row (every ``heartbeat_interval``).
  Starting, and at every beat, it releases the claims of instances that are gone: silent for
  ``stale_after``, or on this host with their process no longer running (a restart takes over
  its predecessor's claims at once). A clean stop releases its own claims.
- Up to ``max_in_flight`` sends run at once, each its own task: a finished send wakes the
  claimer, which claims as many rows as there are free slots, so one slow send holds nothing
  but its own target (whose next row waits for it: rows of one target go out in id order).
- A failure the sender calls retryable is tried again after an exponential backoff; after
  ``max_attempts`` attempts, or at once when it is not retryable, the row is a dead letter.
- WeCom silently drops what exceeds its rate limits, so the excess is held back (``defer``) to
  the next window instead of being sent: 30 messages a minute per user, 20 per group robot.
  The counts are kept in this process; several instances share the limit only roughly.
- Every transaction (a claim, an outcome, a heartbeat) goes through ``transact`` when one is
  given: the app passes its group committer, so outcomes of sends finishing together share a
  commit with each other and with the chat's other writes instead of queueing for SQLite's
  write lock one by one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
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
    ) -> None:
        self._transact = transact or own_transactions(new_uow)
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
        self._taken = 0  # rows taken in hand, by a claim or handed over by the previous row

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
                    # With every slot busy, a finished send is what wakes us.
                    free = self.policy.max_in_flight - len(self._in_flight)
                    if free > 0:
                        if await self._claim_and_send() == free:
                            continue  # more may be due
                        wait = await self._until_next_due(wait)
                except Exception:
                    log.exception("outbox_pass_failed")
                with suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
            if self._in_flight:
                await asyncio.wait(self._in_flight)
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
            if len(self._in_flight) < self.policy.max_in_flight:
                await self._claim_and_send()
            if not self._in_flight:
                return self._taken - before
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)

    async def _claim_and_send(self) -> int:
        """Claim as many rows as there are free send slots and start sending them."""
        rows = await self._claim(self.policy.max_in_flight - len(self._in_flight))
        for row in rows:
            task = asyncio.create_task(self._deliver_and_wake(row))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(rows)

    async def _claim(self, limit: int) -> list[OutgoingMessage]:
        now, me = self._clock(), self.instance.id
        rows: list[OutgoingMessage] = await self._transact(
            lambda uow: outbox.claim_due(uow.session, now, limit=limit, instance=me)
        )
        return rows

    async def _deliver_and_wake(self, first: OutgoingMessage) -> None:
        row: OutgoingMessage | None = first
        try:
            while row is not None:
                self._taken += 1
                row = await self._deliver(row)
        except Exception:
            # The row stays claimed by this live instance: a clean stop or a restart frees it.
            log.exception("outbox_delivery_crashed", extra={"outbox_id": row.id})
        finally:
            self._wake.set()

    async def _until_next_due(self, longest: float) -> float:
        now = self._clock()
        due: datetime | None = await self._transact(lambda uow: outbox.next_due_at(uow.session))
        if due is None:
            return longest
        # Due already yet not claimed: locked by a concurrent claim; look again shortly.
        return min(longest, max((due - now).total_seconds(), longest / 20))

    async def _deliver(self, row: OutgoingMessage) -> OutgoingMessage | None:
        """Send ``row`` and record the outcome; returns its target's next row when that was
        claimed in the same transaction (it is due and the target's turn has come)."""
        free_at = self._limiter.admit(rate_keys(row.channel, row.target), self._clock())
        if free_at is not None:
            return await self._record(row, "deferred", lambda s: outbox.defer(s, row.id, free_at))
        try:
            response = await self._sender.send(row.channel, row.target, row.payload)
        except DeliveryFailed as failure:
            return await self._failed(row, failure.reason, failure.retryable)
        except Exception as error:
            log.exception("outbox_send_crashed", extra={"outbox_id": row.id})
            return await self._failed(row, short_reason(error), retryable=True)
        now = self._clock()
        return await self._record(row, "sent", lambda s: outbox.mark_sent(s, row.id, now, response))

    async def _failed(
        self, row: OutgoingMessage, reason: str, retryable: bool
    ) -> OutgoingMessage | None:
        attempts = row.attempts + 1
        if retryable and attempts < self.policy.max_attempts:
            retry_at = self._clock() + self.policy.retry_delay(attempts)
            return await self._record(
                row, "retry", lambda s: outbox.mark_retry(s, row.id, retry_at, reason)
            )
        log.error(
            "outbox_dead_letter",
            extra={
                "outbox_id": row.id,
                "channel": row.channel,
                "attempts": attempts,
                "reason": reason,
            },
        )
        return await self._record(row, "dead", lambda s: outbox.mark_dead(s, row.id, reason))

    async def _record(
        self, row: OutgoingMessage, result: str, write: _Write
    ) -> OutgoingMessage | None:
        now, me, hand_over = self._clock(), self.instance.id, not self._stopping

        async def work(uow: UnitOfWork) -> tuple[bool, OutgoingMessage | None]:
            recorded = await write(uow.session)
            if not (recorded and hand_over):
                return recorded, None
            # Sparing the next row of this target a claim of its own halves its transactions.
            return True, await outbox.claim_next(uow.session, row.target_key, now, instance=me)

        recorded, following = await self._transact(work)
        if not recorded:
            log.warning(
                "outbox_row_changed_under_us", extra={"outbox_id": row.id, "result": result}
            )
        self._on_result(result)
        return following
