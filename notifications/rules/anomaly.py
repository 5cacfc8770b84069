"""The negative-sales anomaly rule (→ managers, admins and auditors, never the store group).

Once per clerk and pattern: a clerk is announced when first flagged, again when a new kind
of evidence appears (say the same-hour pattern joins the value share), and again after the
quiet period if the pattern continues.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import analytics, catalog
from core.messaging import alert_state
from core.views import SentAlert
from notifications import recipients
from notifications.anomaly import Finding, detect
from notifications.recipients import Target
from notifications.render import render
from notifications.report import RuleReport, RuleRun


@dataclass(frozen=True)
class Suspect:
    finding: Finding
    name: str


async def anomaly(run: RuleRun) -> RuleReport:
    settings = run.settings.anomaly
    # A day more than the window, so the first day's reversals still see that day's sales.
    since = run.now - timedelta(days=settings.long_days + 1)
    lines = await analytics.sales_lines(run.uow, since, run.now)
    findings = detect(lines, run.now, run.tz, settings)
    report = RuleReport(run.rule, run.now, found=[subject(f) for f in findings])
    known = await alert_state.load(run.uow, run.rule, report.found)
    due = [f for f in findings if _is_due(known.get(subject(f)), f, run.now, settings.quiet_period)]
    await _deliver(run, due, report)
    for finding in due:
        if subject(finding) not in report.undelivered:
            state = _state(known.get(subject(finding)), finding, run.now, settings.quiet_period)
            await alert_state.mark(run.uow, known, run.rule, subject(finding), state, run.now)
            report.alerted.append(subject(finding))
    return report


async def _deliver(run: RuleRun, due: list[Finding], report: RuleReport) -> None:
    """One message per reviewer group, however many clerks this run flags."""
    by_target: dict[Target, list[Suspect]] = defaultdict(list)
    warehouses = {w.code: w for w in await catalog.list_warehouses(run.uow)}
    for finding in due:
        targets = {
            t
            for code in finding.warehouses
            for t in await run.recipients(run.uow, warehouses[code])
        }
        if not targets:
            report.undelivered.append(subject(finding))
        user = await catalog.find_user(run.uow, finding.clerk)
        for target in targets:
            by_target[target].append(Suspect(finding, user.name if user else finding.clerk))
    for target, suspects in sorted(by_target.items()):
        text = render(
            run.template, suspects=suspects, now=run.now, tz=run.tz, settings=run.settings.anomaly
        )
        report.messages += await recipients.send(run.uow, target, text, run.key)


def subject(finding: Finding) -> str:
    return f"clerk:{finding.clerk}"


def _is_due(row: SentAlert | None, finding: Finding, now: datetime, quiet: timedelta) -> bool:
    if row is None or now - row.last_sent_at >= quiet:
        return True
    return not set(finding.signals) <= set(row.state.split(","))


def _state(row: SentAlert | None, finding: Finding, now: datetime, quiet: timedelta) -> str:
    """The kinds of evidence already told since the last quiet period."""
    signals = set(finding.signals)
    if row is not None and now - row.last_sent_at < quiet:
        signals |= set(row.state.split(","))
    return ",".join(sorted(signals))
