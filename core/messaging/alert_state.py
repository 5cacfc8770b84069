"""What each alert rule last said about each subject, so a state is announced once.

A row (rule, subject) holds the state last sent and when. Rules decide what a state is; this
module only reads and writes the rows, inside the caller's transaction. Two racing writers of a
new row collide on the unique (rule, subject) key and one transaction fails: the other sent it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from core.common import SentAlert
from core.storage import AlertState, UnitOfWork


async def load(
    uow: UnitOfWork, rule: str, subjects: Collection[str] | None = None
) -> dict[str, SentAlert]:
    """The rule's rows, all of them or only those of ``subjects``."""
    statement = select(AlertState).where(AlertState.rule == rule)
    if subjects is not None:
        if not subjects:
            return {}
        statement = statement.where(AlertState.subject.in_(sorted(subjects)))
    return {row.subject: _view(row) for row in await uow.session.scalars(statement)}


def is_due(
    row: SentAlert | None, state: str, now: datetime, quiet: timedelta | None = None
) -> bool:
    """A new subject or a changed state is due; an unchanged one only after ``quiet``."""
    if row is None or row.state != state:
        return True
    return quiet is not None and now - row.last_sent_at >= quiet


async def mark(
    uow: UnitOfWork, known: dict[str, SentAlert], rule: str, subject: str, state: str, at: datetime
) -> None:
    seen = known.get(subject)
    if seen is None:
        row = AlertState(rule=rule, subject=subject, state=state, last_sent_at=at)
        uow.session.add(row)
    else:
        # ``load`` put the row in this session: no query.
        row = await uow.session.get_one(AlertState, seen.id)
        row.state, row.last_sent_at = state, at
    await uow.session.flush()
    known[subject] = _view(row)


async def clear(uow: UnitOfWork, rule: str, subjects: Collection[str]) -> None:
    """Forget subjects whose condition ended, so its return is announced again."""
    if subjects:
        await uow.session.execute(
            delete(AlertState).where(
                AlertState.rule == rule, AlertState.subject.in_(sorted(subjects))
            )
        )


async def sent_between(uow: UnitOfWork, since: datetime, until: datetime) -> list[SentAlert]:
    """Rows last sent in [since, until], the end included: a run counts what it just sent."""
    rows = await uow.session.scalars(
        select(AlertState).where(AlertState.last_sent_at >= since, AlertState.last_sent_at <= until)
    )
    return [_view(row) for row in rows]


def _view(row: AlertState) -> SentAlert:
    return SentAlert(row.id, row.rule, row.subject, row.state, row.last_sent_at)
