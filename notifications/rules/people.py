"""Rules that name a person (a clerk's reversals, a cook's issues): each flagged person is
told to the rule's recipients once per kind of evidence, again when a new signal joins, and
again after the quiet period if it goes on. One message per recipient group, however many
people a run flags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import catalog
from core.common import SentAlert
from core.messaging import alert_state
from notifications import recipients
from notifications.recipients import Target
from notifications.render import render
from notifications.report import RuleReport, RuleRun


@dataclass(frozen=True)
class Flag:
    """What a detector found about one person, as the announcer needs it."""

    subject: str
    userid: str
    warehouses: Sequence[str]
    signals: Sequence[str]
    finding: Any


@dataclass(frozen=True)
class Named:
    """A flagged person with the name the template shows."""

    finding: Any
    name: str


async def announce_people(
    run: RuleRun, flags: Sequence[Flag], quiet: timedelta, listed_as: str, **context: Any
) -> RuleReport:
    """Tell the due ``flags``; the template gets them as ``listed_as`` (a list of ``Named``)."""
    report = RuleReport(run.rule, run.now, found=[f.subject for f in flags])
    known = await alert_state.load(run.uow, run.rule, report.found)
    due = [f for f in flags if is_due(known.get(f.subject), f.signals, run.now, quiet)]
    by_target: dict[Target, list[Named]] = defaultdict(list)
    warehouses = {w.code: w for w in await catalog.list_warehouses(run.uow)}
    staff = await catalog.staff_names(run.uow) if due else {}
    for flag in due:
        targets = {
            t for code in flag.warehouses for t in await run.recipients(run.uow, warehouses[code])
        }
        if not targets:
            report.undelivered.append(flag.subject)
        for target in targets:
            by_target[target].append(Named(flag.finding, staff.get(flag.userid, flag.userid)))
    for target, named in sorted(by_target.items()):
        text = render(
            run.template, now=run.now, tz=run.tz, staff=staff, **{listed_as: named}, **context
        )
        report.messages += await recipients.send(run.uow, target, text, run.key)
    for flag in due:
        if flag.subject not in report.undelivered:
            state = told(known.get(flag.subject), flag.signals, run.now, quiet)
            await alert_state.mark(run.uow, known, run.rule, flag.subject, state, run.now)
            report.alerted.append(flag.subject)
    return report


def is_due(row: SentAlert | None, signals: Sequence[str], now: datetime, quiet: timedelta) -> bool:
    if row is None or now - row.last_sent_at >= quiet:
        return True
    return not set(signals) <= set(row.state.split(","))


def told(row: SentAlert | None, found: Sequence[str], now: datetime, quiet: timedelta) -> str:
    """The kinds of evidence already told since the last quiet period."""
    signals = set(found)
    if row is not None and now - row.last_sent_at < quiet:
        signals |= set(row.state.split(","))
    return ",".join(sorted(signals))
