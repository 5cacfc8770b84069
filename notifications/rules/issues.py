"""The issue anomaly rule (to reviewers, as its registry entry says): who issues (领用) more
than the kit sales since the last issue used by their recipes, against their own usual.

Once per person and kind of evidence, as the reversal rule: again when a new signal joins,
and again after the quiet period if it goes on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from core import catalog, recipes
from core.messaging import alert_state
from notifications import recipients
from notifications.anomaly.kitchen import IssueFinding, detect_issues
from notifications.recipients import Target
from notifications.render import render
from notifications.report import RuleReport, RuleRun
from notifications.rules.anomaly import is_due, told


@dataclass(frozen=True)
class Cook:
    finding: IssueFinding
    name: str


async def issue_anomaly(run: RuleRun) -> RuleReport:
    settings = run.settings.issues
    # A day more than the windows: the first day's issues are explained by the day before.
    since = run.now - timedelta(days=settings.baseline_days + settings.watch_days + 1)
    moves = await recipes.kitchen_moves(run.uow, since, run.now)
    findings = detect_issues(moves, run.now, run.tz, settings)
    report = RuleReport(run.rule, run.now, found=[subject(f) for f in findings])
    known = await alert_state.load(run.uow, run.rule, report.found)
    quiet = settings.quiet_period
    due = [f for f in findings if is_due(known.get(subject(f)), f.signals, run.now, quiet)]
    by_target: dict[Target, list[Cook]] = defaultdict(list)
    warehouses = {w.code: w for w in await catalog.list_warehouses(run.uow)}
    for finding in due:
        targets = await run.recipients(run.uow, warehouses[finding.warehouse])
        if not targets:
            report.undelivered.append(subject(finding))
        user = await catalog.find_user(run.uow, finding.person)
        for target in targets:
            by_target[target].append(Cook(finding, user.name if user else finding.person))
    for target, cooks in sorted(by_target.items()):
        text = render(run.template, cooks=cooks, now=run.now, tz=run.tz, settings=settings)
        report.messages += await recipients.send(run.uow, target, text, run.key)
    for finding in due:
        if subject(finding) not in report.undelivered:
            state = told(known.get(subject(finding)), finding.signals, run.now, quiet)
            await alert_state.mark(run.uow, known, run.rule, subject(finding), state, run.now)
            report.alerted.append(subject(finding))
    return report


def subject(finding: IssueFinding) -> str:
    return f"issuer:{finding.warehouse}:{finding.person}"
