"""The alert rules, one entry each, and running one as if at a given instant (``jxc alerts run``).

An entry is everything the rest of the app needs to know of a rule: its name, its Chinese
label (the sandbox), the function that runs it, its schedule (the scheduler), the template
that says what it found and who receives it. The function finds; the entry decides the rest.

``run_rule`` writes alert state and outbox rows in the caller's transaction; the caller
commits. Running the same rule twice at the same ``now`` sends nothing the second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from core.common import InvalidInput
from core.storage import UnitOfWork
from notifications.recipients import Route, group, managers, purchasing, reviewers
from notifications.report import RuleReport, RuleRun
from notifications.rules.anomaly import anomaly
from notifications.rules.cycle_count import cycle_count
from notifications.rules.digest import digest
from notifications.rules.documents import count_variance, price_below_cost
from notifications.rules.expiry import expiry
from notifications.rules.issues import issue_anomaly
from notifications.rules.stock import low_stock, negative_stock
from notifications.rules.usage import usage_variance
from notifications.settings import AlertSettings

Rule = Callable[[RuleRun], Awaitable[RuleReport]]


@dataclass(frozen=True)
class AlertRule:
    name: str
    label: str
    run: Rule
    # Cron fields in the shop's time zone (DESIGN §6).
    schedule: Mapping[str, str]
    template: str
    recipients: Route

    def bind(self, uow: UnitOfWork, now: datetime, settings: AlertSettings) -> RuleRun:
        """A run of this rule as if at ``now``, to its recipients in its template."""
        return RuleRun(self.name, uow, now, settings, self.recipients, self.template)


EVERY_30_MIN = {"minute": "*/30"}
RULES: dict[str, AlertRule] = {
    rule.name: rule
    for rule in (
        AlertRule("low-stock", "低库存", low_stock, EVERY_30_MIN, "low_stock.j2", purchasing),
        AlertRule("expiry", "临期/过期", expiry, {"hour": "8", "minute": "30"}, "expiry.j2", group),
        AlertRule("anomaly", "负销售异常", anomaly, {"minute": "0"}, "anomaly.j2", reviewers),
        AlertRule(
            "issue-anomaly",
            "领用异常",
            issue_anomaly,
            {"minute": "0"},
            "issue_anomaly.j2",
            reviewers,
        ),
        AlertRule(
            "count-variance",
            "盘点差异",
            count_variance,
            {"minute": "*/5"},
            "count_variance.j2",
            managers,
        ),
        AlertRule("digest", "每日汇总", digest, {"hour": "21", "minute": "0"}, "digest.j2", group),
        AlertRule(
            "cycle-count",
            "本周盘点计划",
            cycle_count,
            {"day_of_week": "mon", "hour": "8", "minute": "0"},
            "cycle_count.j2",
            group,
        ),
        AlertRule(
            "price-below-cost",
            "售价低于成本",
            price_below_cost,
            EVERY_30_MIN,
            "below_cost.j2",
            managers,
        ),
        AlertRule(
            "negative-stock", "负库存", negative_stock, EVERY_30_MIN, "negative_stock.j2", managers
        ),
        AlertRule(
            "usage-variance",
            "用量差异",
            usage_variance,
            {"day_of_week": "mon", "hour": "9", "minute": "0"},
            "usage_variance.j2",
            managers,
        ),
    )
}


async def run_rule(
    uow: UnitOfWork, rule_name: str, now: datetime, settings: AlertSettings | None = None
) -> RuleReport:
    """Run ``rule_name`` inside the caller's open unit of work, as if at ``now``."""
    rule = RULES.get(rule_name)
    if rule is None:
        raise InvalidInput(f"没有名为 {rule_name} 的提醒规则，可选：{', '.join(RULES)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return await rule.run(rule.bind(uow, now, settings or AlertSettings()))


async def run_and_commit(
    uow: UnitOfWork, rule_name: str, now: datetime, settings: AlertSettings | None = None
) -> RuleReport:
    """One rule in its own transaction, for the CLI."""
    async with uow:
        report = await run_rule(uow, rule_name, now, settings)
        await uow.commit()
    return report
