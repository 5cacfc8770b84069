"""The outbox delivery worker: claim due rows, send each through a ``Sender``, record the outcome.

- A row is sent at most once per claim, and a claim is exclusive (see
  ``core.messaging.outbox``); after a send the outcome is committed at once. Only a crash
  between a send and that commit can repeat a message (when the lease runs out), which is the
  least any at-least-once wire can promise.
- A failure the sender calls retryable is tried again after an exponential backoff; after
  ``max_attempts`` attempts, or at once when it is not retryable, the row is a dead letter.
- WeCom silently drops what exceeds its rate limits, so the excess is held back (``defer``) to
  the next window instead of being sent: 30 messages a minute per user, 20 per group robot.
  The counts are kept in this process; several instances share the limit only roughly.
- Rows of one target are sent in id order; different targets are sent concurrently.
- Every transaction (claiming a batch, recording an outcome) goes through ``transact`` when
  one is given: the app passes its group committer, so the outcomes of a batch sent at once
  share a commit with each other and with the chat's other writes instead of queueing for
  SQLite's write lock one by one. Each outcome is still committed before the next row of its
  target is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.messaging import outbox
from core.storage import OutboxMessage, UnitOfWork, in_transaction
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
    # Longer than the slowest send (API client timeouts and retries), so a lease never runs out
    # while its row is still being sent.
    lease: timedelta = timedelta(minutes=2)
    batch_size: int = 50
    poll_interval: float = 1.0
    user_limit: int = 30
    webhook_limit: int = 20
    rate_window: timedelta = timedelta(minutes=1)

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        doublings = min(attempts - 1, 20)  # 2**20 × any sane base is far past the cap
        return min(self.retry_base * (1 << doublings), self.retry_cap)


ResultHook = Callable[[str], None]
_Write = Callable[[AsyncSession], Awaitable[bool]]
Transact = Callable[[Callable[[UnitOfWork], Awaitable[T]]], Awaitable[T]]


def _ignore(_result: str) -> None:
    return None


class DeliveryWorker:
    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        sender: Sender,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        on_result: ResultHook = _ignore,
        transact: Transact[Any] | None = None,
    ) -> None:
        self._new_uow = new_uow
        self._transact = transact or self._own_transaction
        self._sender = sender
        self._clock = clock
        self.policy = policy or DeliveryPolicy()
        self._on_result = on_result
        self._limiter = RateLimiter(
            {"user": self.policy.user_limit, "webhook": self.policy.webhook_limit},
            self.policy.rate_window,
        )
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def _own_transaction(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        return await in_transaction(self._new_uow(), work)

    def stop(self) -> None:
        """Finish the batch in hand, then return from ``run``."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            wait = self.policy.poll_interval
            try:
                if await self.deliver_due() == self.policy.batch_size:
                    continue
                wait = await self._until_next_due(wait)
            except Exception:
                log.exception("outbox_pass_failed")
            with suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def deliver_due(self) -> int:
        """One pass: claim a batch of due rows and deliver them; returns how many were claimed."""
        now = self._clock()
        policy = self.policy
        rows: list[OutboxMessage] = await self._transact(
            lambda uow: outbox.claim_due(
                uow.session, now, limit=policy.batch_size, lease=policy.lease
            ),
        )
        by_target: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            by_target.setdefault((row.channel, row.target), []).append(row)
        await asyncio.gather(*(self._deliver_in_order(group) for group in by_target.values()))
        return len(rows)

    async def _until_next_due(self, longest: float) -> float:
        now = self._clock()
        due = await self._transact(lambda uow: outbox.next_due_at(uow.session, now))
        return longest if due is None else min(longest, max((due - now).total_seconds(), 0.0))

    async def _deliver_in_order(self, rows: list[OutboxMessage]) -> None:
        try:
            for row in rows:
                await self._deliver(row)
        except Exception:
            # The rest of this target's rows stay claimed and are tried again, in order, once
            # their lease runs out.
            log.exception("outbox_target_failed", extra={"channel": rows[0].channel})

    async def _deliver(self, row: OutboxMessage) -> None:
        free_at = self._limiter.admit(rate_keys(row.channel, row.target), self._clock())
        if free_at is not None:
            await self._record(row, "deferred", lambda s: outbox.defer(s, row.id, free_at))
            return
        try:
            response = await self._sender.send(row.channel, row.target, row.payload)
        except DeliveryFailed as failure:
            await self._failed(row, failure.reason, failure.retryable)
        except Exception as error:
            log.exception("outbox_send_crashed", extra={"outbox_id": row.id})
            await self._failed(row, f"{type(error).__name__}: {error}", retryable=True)
        else:
            now = self._clock()
            await self._record(row, "sent", lambda s: outbox.mark_sent(s, row.id, now, response))

    async def _failed(self, row: OutboxMessage, reason: str, retryable: bool) -> None:
        attempts = row.attempts + 1
        if retryable and attempts < self.policy.max_attempts:
            retry_at = self._clock() + self.policy.retry_delay(attempts)
            await self._record(
                row, "retry", lambda s: outbox.mark_retry(s, row.id, retry_at, reason)
            )
            return
        log.error(
            "outbox_dead_letter",
            extra={
                "outbox_id": row.id,
                "channel": row.channel,
                "attempts": attempts,
                "reason": reason,
            },
        )
        await self._record(row, "dead", lambda s: outbox.mark_dead(s, row.id, reason))

    async def _record(self, row: OutboxMessage, result: str, write: _Write) -> None:
        recorded = await self._transact(lambda uow: write(uow.session))
        if not recorded:
            log.warning(
                "outbox_row_changed_under_us", extra={"outbox_id": row.id, "result": result}
            )
        self._on_result(result)
