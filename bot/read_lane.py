"""The read lane: read-only commands answered in the callback's own HTTP response.

A ``查``, ``帮助`` or ``单据 <号>`` writes nothing, so it need not queue behind the group
committer's batches (store the callback, take and handle it, claim and record the send: three
or four turns behind up to 64 handlings each). When its user has nothing queued (no message
of theirs pending in the inbox or being stored by this process, no reply of theirs waiting in
the outbox: the answer would overtake those; a reply the delivery worker has sent is not
waiting, though its outcome is not recorded yet) it is worked out on a read-only snapshot beside
the writer (``bot.app`` gives the lane its own engine: on SQLite connections of their own in
WAL, which read while the committer's transaction holds the write lock; on PostgreSQL a
read-only repeatable-read pool), and the encrypted reply goes back in the 200 at once.

The message is then recorded through the committer without the response waiting for it:
stored ``done`` with its reply as a ``sent`` outbox row, so WeCom's retry of the same MsgId
(its answer was lost) gets the same reply again and nothing is ever sent through the API. A
retry that comes while the record is still queued gets the reply kept here until then. Should
the record fail, it is logged: the user has the answer already, and a retry computes the read
again. A message that cannot be answered so (it writes after all, the user has something
queued, the reply is long or not plain text) takes the inbox as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import inbox_store
from bot.wecom_messages import CallbackMessage, TextMessage
from core.messaging import outbox
from core.storage import Settled, Transact, UnitOfWork
from handlers import dispatch
from handlers.inbound import Inbound
from notifications.outbox_worker import Delivered

log = logging.getLogger(__name__)


class ReadLane:
    def __init__(
        self,
        new_read_uow: Callable[[], UnitOfWork],
        transact: Transact,
        *,
        enabled: bool,
        delivered: Delivered | None = None,
    ) -> None:
        self._new_read_uow = new_read_uow
        # The delivery worker's: replies sent whose outcome is not recorded yet.
        self._delivered = delivered or Delivered()
        self._transact = transact
        self.enabled = enabled
        self._storing: Counter[str] = Counter()  # callbacks being stored, per user
        self._recording: dict[str, str] = {}  # passive replies not yet recorded, by message key
        self._records: set[asyncio.Task[None]] = set()

    @property
    def records_in_flight(self) -> int:
        """Passive replies answered whose record has not committed (or failed) yet."""
        return len(self._records)

    @contextmanager
    def storing(self, userid: str) -> Iterator[None]:
        """Around storing a message of ``userid`` in the inbox: their reads take the inbox too."""
        self._storing[userid] += 1
        try:
            yield
        finally:
            self._storing[userid] -= 1
            if not self._storing[userid]:
                del self._storing[userid]

    async def answer(self, message: CallbackMessage) -> str | None:
        """The passive reply to ``message``; None when it takes the inbox."""
        if not (self.enabled and isinstance(message, TextMessage)):
            return None
        inbound = Inbound(message.from_user, "text", message.dedupe_key, text=message.content)
        if not dispatch.is_read_only(inbound):
            return None
        if (kept := self._recording.get(message.dedupe_key)) is not None:
            return kept
        if message.from_user in self._storing:
            return None
        try:
            async with self._new_read_uow() as uow:
                sent = self._delivered.to(outbox.target_key("user", message.from_user))
                reply = await dispatch.passive_reply(uow, inbound, sent)
        except SQLAlchemyError as error:
            # Mostly a command that wanted to write after all: the inbox handles it.
            log.info("passive_reply_declined", extra={"reason": type(error).__name__})
            return None
        if reply is None:
            return None
        if reply.recorded:
            return reply.text
        # A copy of the callback that came meanwhile is being recorded: answer as it was.
        return self._recording.get(message.dedupe_key) or self._record(message, reply.text)

    def _record(self, message: TextMessage, text: str) -> str:
        self._recording[message.dedupe_key] = text
        task = asyncio.create_task(self._keep(message, text), name="jxc-passive-record")
        self._records.add(task)
        task.add_done_callback(self._records.discard)
        return text

    async def _keep(self, message: TextMessage, text: str) -> None:
        try:
            stored = await self._transact(_Answered(message, text))
            if not stored:
                log.warning("passive_reply_already_stored", extra={"userid": message.from_user})
        except Exception:
            log.exception("passive_reply_record_failed", extra={"userid": message.from_user})
        finally:
            self._recording.pop(message.dedupe_key, None)

    async def close(self) -> None:
        """Wait for the records in flight (before the committer stops)."""
        await asyncio.gather(*self._records, return_exceptions=True)


class _Answered:
    """Recording a passive reply: its message stored ``done`` and its reply a ``sent`` row. The
    records of a group commit's batch are two statements (``together``)."""

    def __init__(self, message: TextMessage, text: str) -> None:
        self.message = message
        self.text = text

    async def __call__(self, uow: UnitOfWork) -> bool:
        [settled] = await _Answered.together(uow, [self])
        return bool(settled.result)

    @staticmethod
    async def together(uow: UnitOfWork, works: list[_Answered]) -> list[Settled]:
        stored = await inbox_store.store_many(uow, [w.message for w in works], answered=True)
        await outbox.record_passive(
            uow, [w.reply() for w, fresh in zip(works, stored, strict=True) if fresh]
        )
        return [Settled(fresh) for fresh in stored]

    def reply(self) -> tuple[str, dict[str, Any], str]:
        message = self.message
        inbound = Inbound(message.from_user, "text", message.dedupe_key, text=message.content)
        return message.from_user, outbox.text_payload(self.text), dispatch.reply_key(inbound)
