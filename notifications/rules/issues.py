"""The issue anomaly rule (to reviewers, as its registry entry says): who issues (领用) more
than the kit sales since the last issue used by their recipes, against their own usual.

Once per person and kind of evidence, as the reversal rule: again when a new signal joins,
and again after the quiet period if it goes on.
"""

from __future__ import annotations

from datetime import timedelta

from core import recipes
from notifications.anomaly.kitchen import IssueFinding, detect_issues
from notifications.report import RuleReport, RuleRun
from notifications.rules.people import Flag, announce_people


async def issue_anomaly(run: RuleRun) -> RuleReport:
    settings = run.settings.issues
    # A day more than the windows: the first day's issues are explained by the day before.
    since = run.now - timedelta(days=settings.baseline_days + settings.watch_days + 1)
    moves = await recipes.kitchen_moves(run.uow, since, run.now)
    flags = [_flag(f) for f in detect_issues(moves, run.now, run.tz, settings)]
    return await announce_people(run, flags, settings.quiet_period, "cooks", settings=settings)


def _flag(finding: IssueFinding) -> Flag:
    return Flag(subject(finding), finding.person, (finding.warehouse,), finding.signals, finding)


def subject(finding: IssueFinding) -> str:
    return f"issuer:{finding.warehouse}:{finding.person}"
