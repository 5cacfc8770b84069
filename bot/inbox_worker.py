"""The inbox worker: hands stored messages to the handlers, in order per user.

One task per user with pending messages (at most ``max_users`` at once) works through as many
of that user's messages as the scan counted, oldest first (what came in meanwhile is the next
scan's: no transaction is spent finding that a user has nothing more), so one user's commands
never overtake each other while different users are served side by side. Each message is
taken and marked ``done`` by one statement and handled in the same transaction, together with
the replies the handlers put in the outbox: a crash anywhere before the commit leaves the
message pending and unanswered, and it is handled after restart (the first scan).

With a ``transact`` (the app passes its group committer) the messages of different users
share transactions, each in its own savepoint: the same guarantees, one commit for many. The
committer hands a batch's handlings to the worker together (``_Handling.together``): one
statement takes every user's oldest pending message (``inbox.take_oldest``), ``handle_many``
answers them (the app's: answered keys and users looked up once, all replies in one insert),
and one statement marks done those that were handled. A handling that raised is not marked:
it rolled back to its savepoint, and it fails or runs again on its own as above.

A handler that raises something unexpected gets the message marked ``failed``; the user is told
"系统繁忙" with a short error id that is logged next to the traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from bot.wecom_messages import CardClick, MenuClick, ScanEvent, TextMessage, message_from_payload
from core import catalog
from core.common import ReceivedMessage, Role
from core.messaging import inbox, outbox
from core.storage import (
    CommitterDied,
    Settled,
    Transact,
    UnitOfWork,
    own_transactions,
    short_reason,
)
from handlers.inbound import Inbound

log = logging.getLogger(__name__)

Handle = Callable[[UnitOfWork, Inbound], Awaitable[None]]
# ``handle`` of a batch's messages (one per user), in order: each one's outcome.
HandleMany = Callable[[UnitOfWork, Sequence[Inbound]], Awaitable[list[Settled]]]
BUSY_REPLY = "系统繁忙，请稍后再试（编号 {error_id}）"
ADMIN_NOTE = "JXC Bot 处理 {userid} 的消息时出错（编号 {error_id}，{error}），详情见服务器日志。"


def inbound_from_row(row: ReceivedMessage) -> Inbound:
    message = message_from_payload(row.kind, row.payload)
    if isinstance(message, TextMessage):
        return Inbound(row.from_user, "text", row.dedupe_key, text=message.content)
    if isinstance(message, CardClick):
        return Inbound(
            row.from_user,
            "card_click",
            row.dedupe_key,
            task_id=message.task_id,
            event_key=message.event_key,
            response_code=message.response_code,
        )
    if isinstance(message, ScanEvent):
        return Inbound(
            row.from_user,
            "scan",
            row.dedupe_key,
            text=message.scan_result,
            event_key=message.event_key,
        )
    if isinstance(message, MenuClick):
        return Inbound(row.from_user, "menu_click", row.dedupe_key, event_key=message.event_key)
    return Inbound(row.from_user, "other", row.dedupe_key)


@dataclass(frozen=True)
class _Claim:
    row_id: int
    userid: str


class _Handling:
    """The work of handling a user's oldest pending message: True when there was one.

    Run alone it takes and handles that one message; ``together`` lets the group committer
    hand a batch of them (different users') to the worker in one call.
    """

    def __init__(self, worker: InboxWorker, user: str) -> None:
        self.user = user
        self.claim: _Claim | None = None
        self._worker = worker
        # The same bound method for every handling of this worker: one kind for the committer.
        self.together = worker._handle_together

    async def __call__(self, uow: UnitOfWork) -> bool:
        return await self._worker._handle_alone(uow, self)


async def _one_by_one(
    handle: Handle, uow: UnitOfWork, inbounds: Sequence[Inbound]
) -> list[Settled]:
    settled = []
    for inbound in inbounds:
        try:
            async with uow.savepoint():
                await handle(uow, inbound)
        except Exception as error:
            settled.append(Settled(error=error))
        else:
            settled.append(Settled())
    return settled


def _ignore_latency(_seconds: float) -> None:
    return None


def _nothing() -> None:
    return None


class InboxWorker:
    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        handle: Handle,
        *,
        max_users: int = 16,
        poll_interval: float = 2.0,
        on_handled: Callable[[float], None] = _ignore_latency,
        after_commit: Callable[[], None] = _nothing,
        transact: Transact | None = None,
        handle_many: HandleMany | None = None,
    ) -> None:
        self._handle = handle
        self._handle_many = handle_many or partial(_one_by_one, handle)
        # The scan, each message and each failure note: all through the one entry point.
        self._transact = transact or own_transactions(new_uow)
        self._max_users = max_users
        # Rows stored by another instance, or left behind by one that died, are found by polling.
        self._poll_interval = poll_interval
        self._on_handled = on_handled
        self._after_commit = after_commit
        self._wake = asyncio.Event()
        self._users: dict[str, asyncio.Task[int]] = {}
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Let each user's task finish the message in hand, then return from ``run``."""
        self._stopping = True
        self._wake.set()

    def abort(self) -> None:
        """Cancel the users' tasks now, rolling back the messages in hand.

        Call it before cancelling ``run``: on SQLite a scan in ``run`` may be waiting for the
        write lock that one of these tasks holds, and cannot unwind until that task lets go.
        """
        for task in self._users.values():
            task.cancel()

    async def run(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                await self._start_users()
                with suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._wake.wait()
        except asyncio.CancelledError:
            self.abort()
            raise
        finally:
            await asyncio.gather(*self._users.values(), return_exceptions=True)

    async def _start_users(self) -> None:
        try:
            users = await self._transact(lambda uow: inbox.pending_by_user(uow))
        except Exception:
            log.exception("inbox_scan_failed")
            return
        for user, pending in users.items():
            if len(self._users) >= self._max_users:
                return
            if user not in self._users:
                serve = self._serve_user(user, pending)
                task = asyncio.create_task(serve, name=f"jxc-inbox-{user}")
                task.add_done_callback(partial(self._user_done, user))
                self._users[user] = task

    def _user_done(self, user: str, task: asyncio.Task[int]) -> None:
        del self._users[user]
        # Messages that came in meanwhile may have found this user busy: look again. A task
        # that handled nothing (another instance has the user) does not, or it would spin.
        if not task.cancelled() and task.result():
            self._wake.set()

    async def _serve_user(self, user: str, pending: int) -> int:
        handled = 0
        try:
            while handled < pending and not self._stopping and await self._handle_next(user):
                handled += 1
        except Exception:
            log.exception("inbox_user_task_failed", extra={"userid": user})
        return handled

    async def _handle_next(self, user: str) -> bool:
        """Handle the user's oldest pending message; False when there is none to handle."""
        handling = _Handling(self, user)
        started = time.perf_counter()
        try:
            handled = await self._transact(handling)
        except Exception as error:
            # Without a committer nothing was handled: the row stays pending for the next process.
            if handling.claim is None or isinstance(error, CommitterDied):
                raise
            await self._fail(handling.claim, error)
            handled = True
        if handled:
            self._on_handled(time.perf_counter() - started)
            self._after_commit()
        return handled

    async def _handle_alone(self, uow: UnitOfWork, handling: _Handling) -> bool:
        handling.claim = None  # a batch that took a row and then failed as a whole took nothing
        row = await inbox.take_next(uow.session, handling.user, uow.now())
        if row is None:
            return False
        handling.claim = _Claim(row.id, row.from_user)
        await self._handle(uow, inbound_from_row(row))
        return True

    async def _handle_together(self, uow: UnitOfWork, handlings: list[_Handling]) -> list[Settled]:
        """The group committer's batch of handlings, one per user: taken, handled and closed
        with one statement each for the whole batch (``inbox.take_oldest``, ``mark_done``)."""
        # One task per user: a user has one handling in flight. Should there be two, the
        # second finds nothing now, and the user's next task serves the message.
        first: dict[str, _Handling] = {}
        for handling in handlings:
            first.setdefault(handling.user, handling)
        taken = await inbox.take_oldest(uow, first)
        batch = [(first[user], row) for user, row in sorted(taken.items(), key=lambda t: t[1].id)]
        for handling, row in batch:
            handling.claim = _Claim(row.id, row.from_user)
        outcomes = await self._handle_many(uow, [inbound_from_row(row) for _, row in batch])
        settled = {id(handling): Settled(False) for handling in handlings}
        for (handling, _), outcome in zip(batch, outcomes, strict=True):
            settled[id(handling)] = outcome if outcome.error else Settled(True)
        await inbox.mark_done(
            uow, [row.id for (handling, row) in batch if settled[id(handling)].result], uow.now()
        )
        return [settled[id(handling)] for handling in handlings]

    async def _fail(self, claim: _Claim, error: Exception) -> None:
        error_id = secrets.token_hex(2).upper()
        log.error(
            "inbox_handler_failed",
            exc_info=error,
            extra={"error_id": error_id, "inbox_id": claim.row_id, "userid": claim.userid},
        )
        reason = f"{error_id} {short_reason(error)}"

        async def work(uow: UnitOfWork) -> None:
            if await inbox.settle(uow.session, claim.row_id, inbox.FAILED, uow.now(), reason):
                payload = outbox.text_payload(BUSY_REPLY.format(error_id=error_id))
                await outbox.enqueue(uow, "user", claim.userid, payload)
                await _tell_admins(uow, claim.userid, error_id, type(error).__name__)

        await self._transact(work)


async def _tell_admins(uow: UnitOfWork, userid: str, error_id: str, error: str) -> None:
    """Someone who can look at the logs hears of every failure, not only the user."""
    admins = [u.userid for u in await catalog.list_users(uow) if u.active and u.role is Role.ADMIN]
    if admins:
        note = ADMIN_NOTE.format(userid=userid, error_id=error_id, error=error)
        await outbox.enqueue(uow, "user", "|".join(admins), outbox.text_payload(note))
