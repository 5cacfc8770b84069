"""The common shape of a rule: subjects in a state → those not yet announced → one message
per target listing them, grouped by warehouse → remember what was said.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core import catalog
from core.catalog import WarehouseView
from core.common import SentAlert
from core.messaging import alert_state
from core.storage import UnitOfWork
from notifications.recipients import Route, Target, send
from notifications.render import render
from notifications.report import RuleReport, RuleRun


@dataclass(frozen=True)
class Candidate:
    """A subject in a state worth saying; ``fact`` is what the template shows about it."""

    subject: str
    state: str
    warehouse: str
    fact: Any


@dataclass(frozen=True)
class Section:
    warehouse: WarehouseView
    items: list[Any]


async def announce(
    run: RuleRun,
    candidates: Sequence[Candidate],
    *,
    quiet: timedelta | None = None,
    forget_the_rest: bool = False,
    **context: Any,
) -> RuleReport:
    """Announce each candidate once per state (again after ``quiet``, if given), in the
    rule's template to its recipients.

    ``forget_the_rest`` drops remembered subjects that are no longer candidates: the
    condition ended (restocked, back above zero), so its return is news again.
    """
    report, known, due = await due_of(run, candidates, quiet)
    by_target = await _sections(run.uow, due, run.recipients, report)
    staff = await catalog.staff_names(run.uow) if by_target else {}
    for target, sections in sorted(by_target.items()):
        text = render(
            run.template, sections=sections, now=run.now, tz=run.tz, staff=staff, **context
        )
        report.messages += await send(run.uow, target, text, run.key)
    await remember(run, report, known, due, candidates, forget_the_rest)
    return report


async def due_of(
    run: RuleRun, candidates: Sequence[Candidate], quiet: timedelta | None
) -> tuple[RuleReport, dict[str, SentAlert], list[Candidate]]:
    """The run's report, what the rule last said, and the candidates due to be said now."""
    report = RuleReport(run.rule, run.now, found=[c.subject for c in candidates])
    known = await alert_state.load(run.uow, run.rule)
    due = [
        c for c in candidates if alert_state.is_due(known.get(c.subject), c.state, run.now, quiet)
    ]
    return report, known, due


async def remember(
    run: RuleRun,
    report: RuleReport,
    known: dict[str, SentAlert],
    due: Sequence[Candidate],
    candidates: Sequence[Candidate],
    forget_the_rest: bool,
) -> None:
    """Mark what was delivered as said (``report.alerted``); with ``forget_the_rest``, drop
    the remembered subjects that are no longer candidates."""
    for candidate in due:
        if candidate.subject not in report.undelivered:
            await alert_state.mark(
                run.uow, known, run.rule, candidate.subject, candidate.state, run.now
            )
            report.alerted.append(candidate.subject)
    if forget_the_rest:
        current = {c.subject for c in candidates}
        await alert_state.clear(run.uow, run.rule, [s for s in known if s not in current])


async def _sections(
    uow: UnitOfWork, due: Sequence[Candidate], route: Route, report: RuleReport
) -> dict[Target, list[Section]]:
    grouped: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in due:
        grouped[candidate.warehouse].append(candidate)
    warehouses = {w.code: w for w in await catalog.list_warehouses(uow)}
    by_target: dict[Target, list[Section]] = defaultdict(list)
    for code, members in sorted(grouped.items()):
        targets = await route(uow, warehouses[code])
        if not targets:
            report.undelivered += [c.subject for c in members]
        for target in targets:
            by_target[target].append(Section(warehouses[code], [c.fact for c in members]))
    return by_target
