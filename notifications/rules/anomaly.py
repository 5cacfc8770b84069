"""The negative-sales anomaly rule (→ managers, admins and auditors, never the store group).

Once per clerk and pattern: a clerk is announced when first flagged, again when a new kind
of evidence appears (say the same-hour pattern joins the value share), and again after the
quiet period if the pattern continues.
"""

from __future__ import annotations

from datetime import timedelta

from core import analytics
from notifications.anomaly import Finding, detect
from notifications.report import RuleReport, RuleRun
from notifications.rules.people import Flag, announce_people


async def anomaly(run: RuleRun) -> RuleReport:
    settings = run.settings.anomaly
    # A day more than the longest windows, so the first day's reversals see that day's sales.
    days = settings.baseline_days + max(settings.watch_days, settings.weeks_watch_days) + 1
    since = run.now - timedelta(days=days)
    lines = await analytics.sales_lines(run.uow, since, run.now)
    flags = [_flag(f) for f in detect(lines, run.now, run.tz, settings)]
    return await announce_people(run, flags, settings.quiet_period, "suspects", settings=settings)


def _flag(finding: Finding) -> Flag:
    return Flag(subject(finding), finding.clerk, finding.warehouses, finding.signals, finding)


def subject(finding: Finding) -> str:
    return f"clerk:{finding.clerk}"
