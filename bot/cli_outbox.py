"""``jxc outbox``: what waits to go out, the dead letters, and resending them (DESIGN §2, §10).

One line a row: id, when it was queued (shop time), channel and target, kind, attempts, last
error. A group robot's key is a credential (whoever holds it posts into that group), so only
its last four characters are shown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli_ledger import unit_of_work
from core.common import QueuedMessage
from core.messaging import outbox
from core.storage import UnitOfWork, in_transaction

SHOWN_KEY_CHARS = 4


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Callable[[argparse.ArgumentParser, Callable[..., Any]], None],
) -> None:
    parser = commands.add_parser(
        "outbox", help="pending messages and dead letters; resend dead letters"
    )
    parser.add_argument("--dead", action="store_true", help="list dead letters, not pending rows")
    resend = parser.add_mutually_exclusive_group()
    resend.add_argument("--retry", type=int, metavar="ID", help="resend the dead letter ID")
    resend.add_argument("--retry-dead", action="store_true", help="resend every dead letter")
    command(parser, outbox_command)


async def outbox_command(args: argparse.Namespace) -> int:
    async with unit_of_work(args.settings) as uow:
        if args.retry is not None:
            return await _resend_one(uow, args.retry)
        if args.retry_dead:
            ids = await in_transaction(uow, lambda u: outbox.resend_dead(u.session, u.now()))
            print(f"resent {len(ids)} dead letter(s)" + (f": {_ids(ids)}" if ids else ""))
            return 0
        status = outbox.DEAD if args.dead else outbox.PENDING
        rows = await in_transaction(uow, lambda u: outbox.rows_with_status(u.session, status))
        for row in rows:
            print(_line(row, uow.tz))
        print(f"{len(rows)} {'dead' if args.dead else 'pending'}", file=sys.stderr)
        return 0


async def _resend_one(uow: UnitOfWork, row_id: int) -> int:
    async def work(u: UnitOfWork) -> str | None:
        status = await outbox.status_of(u.session, row_id)
        if status == outbox.DEAD:
            await outbox.resend_dead(u.session, u.now(), row_id)
        return status

    status = await in_transaction(uow, work)
    if status is None:
        print(f"jxc outbox: no outbox row {row_id}", file=sys.stderr)
        return 1
    if status != outbox.DEAD:
        print(
            f"jxc outbox: row {row_id} is {status}, not dead: only dead letters are resent",
            file=sys.stderr,
        )
        return 1
    print(f"resent dead letter {row_id}")
    return 0


def _line(row: QueuedMessage, tz: ZoneInfo) -> str:
    fields = [
        str(row.id),
        _local(row.created_at, tz),
        f"{row.channel}:{_target(row)}",
        str(row.payload.get("msgtype", row.channel)),
        f"attempts {row.attempts}",
        row.last_error or "-",
    ]
    return "\t".join(fields)


def _target(row: QueuedMessage) -> str:
    if row.channel == "webhook":
        return "…" + row.target[-SHOWN_KEY_CHARS:]
    return row.target


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))
