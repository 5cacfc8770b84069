"""The rules by name, and running one as if at a given instant (``jxc alerts run``).

``run_rule`` writes alert state and outbox rows in the caller's transaction; the caller
commits. Running the same rule twice at the same ``now`` sends nothing the second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from core.errors import InvalidInput
from core.storage import UnitOfWork
from notifications.report import RuleReport, RuleRun
from notifications.rules.anomaly import anomaly
from notifications.rules.cycle_count import cycle_count
from notifications.rules.digest import digest
from notifications.rules.documents import count_variance, price_below_cost
from notifications.rules.expiry import expiry
from notifications.rules.stock import low_stock, negative_stock
from notifications.settings import AlertSettings

Rule = Callable[[RuleRun], Awaitable[RuleReport]]

RULES: dict[str, Rule] = {
    "low-stock": low_stock,
    "expiry": expiry,
    "anomaly": anomaly,
    "count-variance": count_variance,
    "digest": digest,
    "cycle-count": cycle_count,
    "price-below-cost": price_below_cost,
    "negative-stock": negative_stock,
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
    return await rule(RuleRun(rule_name, uow, now, settings or AlertSettings()))


async def run_and_commit(
    uow: UnitOfWork, rule_name: str, now: datetime, settings: AlertSettings | None = None
) -> RuleReport:
    """One rule in its own transaction, for the CLI."""
    async with uow:
        report = await run_rule(uow, rule_name, now, settings)
        await uow.commit()
    return report
