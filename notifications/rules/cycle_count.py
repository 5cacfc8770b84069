"""The weekly cycle-count plan per store (→ store group).

Categories are striped over ``cycle_count_weeks`` weeks by their sorted position, so each week
takes about a fifth of them and every category comes round within five weeks; a category not
counted for longer than that is listed as overdue. The first plan of a month also asks for
the monthly full count. The plan also makes the count tasks (``core.orders``) that
``盘点 <分类>`` counts by scanning and ``盘点任务`` lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from core import analytics, orders
from core.analytics import CategoryStock
from core.orders import this_weeks
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce


@dataclass(frozen=True)
class CountPlan:
    week: str
    categories: list[CategoryStock]
    overdue: list[CategoryStock]
    full_count: bool


async def cycle_count(run: RuleRun) -> RuleReport:
    today = run.now.astimezone(run.tz).date()
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    weeks = run.settings.cycle_count_weeks
    by_store: dict[str, list[CategoryStock]] = defaultdict(list)
    for category in await analytics.categories(run.uow):
        by_store[category.warehouse].append(category)
    stale = run.now - timedelta(weeks=weeks)
    candidates = []
    for code, categories in sorted(by_store.items()):
        planned = this_weeks(categories, today, weeks, lambda c: c.category)
        overdue = [
            c for c in categories
            if c not in planned and c.last_counted is not None and c.last_counted < stale
        ]  # fmt: skip
        plan = CountPlan(week, planned, overdue, full_count=today.day <= 7)
        await orders.plan_tasks(run.uow, code, weeks, today)
        candidates.append(Candidate(code, week, code, plan))
    return await announce(run, candidates)
