"""What a document waiting for approval records (the balances it saw, the stock it would
change) and how its approval checks that nobody changed them meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core import catalog, ledger, money
from core.common import Change, DocType, Role, plain_qty
from core.ledger.planning import Allowances, Plan
from core.ledger.policy import Reason, WarehousePolicy, approval_reasons
from core.storage import Document, StockBalance, UnitOfWork


async def balances_changed_since(uow: UnitOfWork, seen: dict[str, Any]) -> bool:
    """True when any balance the request saw was changed, or a new one appeared."""
    pairs = {(int(i), int(w)) for i, w in seen.get("pairs", [])}
    current = await ledger.locked_balances(uow, pairs)
    now = {str(b.id): b.version for group in current.values() for b in group}
    before: dict[str, int] = seen.get("balances", {})
    return now != before


def seen_versions(
    document: Document, balances: dict[tuple[int, int], list[StockBalance]]
) -> dict[str, Any]:
    return {
        "document": document.version,
        "pairs": sorted([item_id, wh_id] for item_id, wh_id in balances),
        "balances": {str(b.id): b.version for group in balances.values() for b in group},
    }


def stock_changes(plan: Plan, balances: dict[tuple[int, int], list[StockBalance]]) -> list[Change]:
    """Book stock before → after for each item and warehouse the request would touch."""
    delta: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    labels: dict[tuple[int, int], str] = {}
    for move in plan.moves:
        key = (move.item.id, move.warehouse.id)
        delta[key] += move.qty
        labels[key] = f"{move.item.name}@{move.warehouse.code}"
    for short in plan.shortfalls:
        if short.moved:
            continue
        key = (short.item.id, short.warehouse.id)
        delta[key] -= short.needed - short.available
        labels[key] = f"{short.item.name}@{short.warehouse.code}"
    changes = []
    for key, change in delta.items():
        before = sum((b.qty for b in balances.get(key, [])), Decimal(0))
        changes.append(Change(labels[key], plain_qty(before), plain_qty(before + change)))
    return changes


@dataclass(frozen=True)
class AskedNow:
    """What a pending document would ask for if it were submitted now."""

    reasons: list[Reason]
    changes: list[Change]
    seen_versions: dict[str, Any]


async def asked_now(uow: UnitOfWork, document: Document, requested_by: str) -> AskedNow:
    """Plan the document as its requester's submission would be planned today.

    Raises ``InsufficientStock`` when the warehouse now forbids the shortfall outright.
    """
    policy = WarehousePolicy.of(document.warehouse, uow.settings)
    planned = await ledger.plan_pending(
        uow, document, Allowances(negative=policy.negative_stock == "allow")
    )
    user = await catalog.find_user(uow, requested_by)
    role = Role.CLERK if user is None else user.role
    negative_lines = any(line.qty < 0 for line in planned.lines)
    reasons = approval_reasons(DocType(document.type), role, negative_lines, planned.plan, policy)
    priced = await money.pending_reasons(uow, document)
    reasons += [Reason(r.subject, r.text) for r in priced]
    return AskedNow(
        reasons,
        stock_changes(planned.plan, planned.balances)
        + [r.change for r in priced if r.change is not None],
        seen_versions(document, planned.balances),
    )
