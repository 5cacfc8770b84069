"""What a user has queued, read in one statement: whether a read may be answered beside it.

The read lane (``bot.read_lane``) answers a read-only command in the callback's own response
only when nothing of its user's waits (the answer would overtake it), and answers WeCom's
retry of a message it answered so with the same reply. Four questions, one round trip: the
passive reply already stored for the message, whether the message is stored at all, whether
a message of the user is pending in the inbox, and whether a reply to them waits in the outbox.
A reply the delivery worker has sent, whose outcome is not recorded yet (``delivered``), is
pending in the table but no longer waits: the user has it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, select

from core.messaging import inbox, outbox
from core.storage import InboxMessage, OutboxMessage, ReadStatement, UnitOfWork


@dataclass(frozen=True)
class Queued:
    # The passive reply stored for this message (a retry), or None.
    earlier_reply: dict[str, Any] | None
    # The message is stored already (answered passively or not).
    stored: bool
    # Something of the user's waits: a pending inbox row, or a reply not sent yet.
    waiting: bool


def _reply(column: Any) -> Any:
    return (
        select(column).where(OutboxMessage.dedupe_key == bindparam("reply_key")).scalar_subquery()
    )


_STATE = ReadStatement(
    select(
        _reply(OutboxMessage.payload),
        _reply(OutboxMessage.response),
        exists().where(InboxMessage.dedupe_key == bindparam("message_key")),
        exists().where(
            InboxMessage.status == inbox.PENDING, InboxMessage.from_user == bindparam("userid")
        ),
        exists().where(
            OutboxMessage.target_key == bindparam("target_key"),
            OutboxMessage.status == outbox.PENDING,
            OutboxMessage.id.not_in(bindparam("delivered", expanding=True)),
        ),
    )
)


async def of_user(
    uow: UnitOfWork,
    *,
    userid: str,
    message_key: str,
    reply_key: str,
    delivered: Collection[int] = (),
) -> Queued:
    connection = await uow.read_connection()
    (row,) = await _STATE.rows(
        connection,
        {
            "reply_key": reply_key,
            "message_key": message_key,
            "userid": userid,
            "target_key": outbox.target_key("user", userid),
            "delivered": list(delivered),
        },
    )
    payload, response, stored, pending, unsent = row
    earlier = payload if response == outbox.PASSIVE_RESPONSE else None
    return Queued(earlier, bool(stored), bool(pending or unsent))
