"""Weekly usage variance (→ managers): ingredients whose real use strayed from the recipes'.

Runs Monday morning over the week before (shop-local Monday to Monday), per warehouse, and
names each ingredient whose gap is beyond ``usage_variance_pct`` (default 5%) with the
documents behind its real use. One message per warehouse and week.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core import catalog
from core.recipes import usage
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce


async def usage_variance(run: RuleRun) -> RuleReport:
    today = run.now.astimezone(run.tz).date()
    this_monday = today - timedelta(days=today.weekday())
    start = datetime.combine(this_monday - timedelta(days=7), time(), run.tz)
    end = datetime.combine(this_monday, time(), run.tz)
    iso = start.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    threshold = run.settings.usage_variance_pct
    candidates = []
    for warehouse in await catalog.list_warehouses(run.uow):
        rows = await usage.usage(run.uow, start, end, warehouse.code)
        beyond = [r for r in rows if r.beyond(threshold)]
        if beyond:
            fact = {"week": week, "start": start, "end": end, "rows": beyond}
            candidates.append(Candidate(warehouse.code, week, warehouse.code, fact))
    return await announce(
        run,
        candidates,
        threshold=threshold,
        delta_day=timedelta(days=1),
    )
