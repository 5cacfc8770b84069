"""What an approval does when the data its request saw has changed since.

The request saw versions (of the item, or of the document and its balances). When they
changed, the request is judged again on today's data:

- nothing it shows changed (say a receipt and a sale that cancel out): apply it;
- it no longer needs approval at all (the stock came in): apply it, saying what changed;
- it still asks the same thing, with other numbers (a negative-stock sale is still one
  after two small sales; a price change still sets its price after another one): refresh
  the request with today's numbers and let the approver decide on those;
- it no longer makes sense (the document was edited, the new price is already in force, a
  different kind of approval would now be needed, or the warehouse now forbids it): void it.

Every verdict but the first says what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.approvals import pending, prices
from core.common import Change, DomainError, unit_price
from core.ledger.documents_view import load_document
from core.storage import Approval, UnitOfWork

Verdict = Literal["apply", "refresh", "void"]


@dataclass(frozen=True)
class Recheck:
    verdict: Verdict
    # What changed since the request, in words ("" when nothing the request shows did).
    changed: str = ""
    # Why a voided request no longer makes sense.
    why: str = ""


async def recheck(uow: UnitOfWork, approval: Approval) -> Recheck:
    """Judge ``approval`` on today's data; a refresh rewrites its numbers and seen versions."""
    if approval.item is not None:
        return _recheck_price(approval)
    return await _recheck_document(uow, approval)


def _recheck_price(approval: Approval) -> Recheck:
    item = approval.item
    assert item is not None
    if not prices.item_changed_since(item, approval):
        return Recheck("apply")
    old, wanted = Decimal(approval.payload["old_price"]), Decimal(approval.payload["new_price"])
    if item.price == old:
        _record_seen(approval, {"item": {str(item.id): item.version}})
        return Recheck("apply")  # the item changed, its price did not
    changed = f"{item.name} 售价已由 {unit_price(old)} 改为 {unit_price(item.price)}"
    if item.price == wanted:
        return Recheck("void", changed, f"已是申请的 {unit_price(wanted)}，无需再调")
    approval.payload = {
        **approval.payload,
        "old_price": str(item.price),
        "changes": [[f"{item.name} 售价", unit_price(item.price), unit_price(wanted)]],
    }
    _record_seen(approval, {"item": {str(item.id): item.version}})
    return Recheck("refresh", changed)


async def _recheck_document(uow: UnitOfWork, approval: Approval) -> Recheck:
    assert approval.document is not None
    document = await load_document(uow, approval.document.number, lock=True)
    if document.version != approval.seen_versions.get("document"):
        return Recheck("void", f"单据 {document.number} 已被修改", "原申请不再对应这张单据")
    if not await pending.balances_changed_since(uow, approval.seen_versions):
        return Recheck("apply")
    before = [Change(*row) for row in approval.payload.get("changes", [])]
    try:
        now = await pending.asked_now(uow, document, approval.requested_by)
    except DomainError as refused:
        return Recheck("void", stock_changed(before, []), refused.message)
    changed = stock_changed(before, now.changes)
    asked = set(approval.payload.get("subjects", [approval.subject]))
    needed = {reason.subject for reason in now.reasons}
    if not needed <= asked:
        extra = "；".join(r.text for r in now.reasons if r.subject not in asked)
        return Recheck("void", changed, f"现在还需另一种审批：{extra}")
    _record_seen(approval, now.seen_versions)
    if not needed:
        return Recheck("apply", f"{changed}，已无需审批" if changed else "")
    if now.changes == before:
        return Recheck("apply")
    approval.reason = "；".join(reason.text for reason in now.reasons)
    approval.payload = {
        **approval.payload,
        "subjects": sorted(needed),
        "changes": [[c.label, c.before, c.after] for c in now.changes],
    }
    return Recheck("refresh", changed)


def stock_changed(before: list[Change], now: list[Change]) -> str:
    """``可乐@MAIN 库存 96 → 90``: book stock then and now, for each item that moved."""
    then = {change.label: change.before for change in before}
    moved = [
        f"{change.label} 库存 {then[change.label]} → {change.before}"
        for change in now
        if change.label in then and then[change.label] != change.before
    ]
    return "，".join(moved) if moved else "相关库存已变动"


def _record_seen(approval: Approval, seen: dict[str, object]) -> None:
    approval.seen_versions = dict(seen)
