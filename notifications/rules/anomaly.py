"""The negative-sales anomaly rule (→ managers, admins and auditors, never the store group).

Once per clerk and pattern: a clerk is announced when first flagged, again when a new kind
of evidence appears (say the same-hour pattern joins the value share), and again after the
quiet period if the pattern continues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import analytics, catalog
from core.common import SentAlert
from core.messaging import alert_state
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
    # A day more than the windows, so the first day's reversals still see that day's sales.
    since = run.now - timedelta(days=settings.baseline_days + settings.watch_days + 1)
    lines = await analytics.sales_lines(run.uow, since, run.now)
    findings = detect(lines, run.now, run.tz, settings)
    report = RuleReport(run.rule, run.now, found=[subject(f) for f in findings])
    known = await alert_state.load(run.uow, run.rule, report.found)
    quiet = settings.quiet_period
    due = [f for f in findings if is_due(known.get(subject(f)), f.signals, run.now, quiet)]
    await _deliver(run, due, report)
    for finding in due:
        if subject(finding) not in report.undelivered:
            state = told(known.get(subject(finding)), finding.signals, run.now, quiet)
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
