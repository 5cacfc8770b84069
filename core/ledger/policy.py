"""Which documents need a second person's approval (DESIGN §5), per warehouse policy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from config import Settings
from core.common import APPROVER_ROLES, DocType, InsufficientStock, Role, money, qty_text
from core.ledger.planning import Plan, Substitution
from core.storage import Warehouse

VALUE_SUBJECT = {
    DocType.WRITEOFF: "writeoff",
    DocType.ADJUSTMENT: "adjustment",
    DocType.COUNT: "count_variance",
    DocType.ISSUE: "issue",
}
VALUE_LABEL = {
    DocType.WRITEOFF: "报损",
    DocType.ADJUSTMENT: "调整",
    DocType.COUNT: "盘点差异",
    DocType.ISSUE: "领用",
}
RETURN_TYPES = frozenset({DocType.SALES_RETURN})


@dataclass(frozen=True)
class Reason:
    subject: str
    text: str


@dataclass(frozen=True)
class WarehousePolicy:
    negative_stock: str
    value_threshold: Decimal

    @classmethod
    def of(cls, warehouse: Warehouse, defaults: Settings) -> WarehousePolicy:
        return cls(
            negative_stock=warehouse.negative_stock_policy or defaults.negative_stock_policy,
            value_threshold=(
                warehouse.approval_value_threshold
                if warehouse.approval_value_threshold is not None
                else defaults.approval_value_threshold
            ),
        )


def approval_reasons(
    doc_type: DocType,
    role: Role,
    has_negative_lines: bool,
    plan: Plan,
    policy: WarehousePolicy,
) -> list[Reason]:
    """Reasons this document may not post on the requester's word alone.

    Raises ``InsufficientStock`` when the warehouse forbids negative stock outright.
    """
    reasons: list[Reason] = []
    for short in plan.shortfalls:
        text = (
            f"库存不足：{short.item.name} 现有 {qty_text(short.available, short.item.unit)}，"
            f"需要 {qty_text(short.needed, short.item.unit)}"
        )
        if policy.negative_stock == "forbid":
            raise InsufficientStock(text + "。请先入库，或减少数量")
        if policy.negative_stock == "approve":
            reasons.append(Reason("negative_stock", text))
    for use in plan.expired:
        reasons.append(
            Reason(
                "expired_batch",
                f"将出售已过期批次：{use.item.name} 批号 {use.batch.lot or '无'}"
                f"（到期 {use.batch.expiry}）{qty_text(use.qty, use.item.unit)}",
            )
        )
    reasons += [
        Reason("substitution", substitution_text(sub))
        for sub in plan.substitutions
        if sub.needs_approval
    ]
    is_return = doc_type in RETURN_TYPES or (doc_type is DocType.SALE and has_negative_lines)
    if is_return and role not in APPROVER_ROLES:
        reasons.append(Reason("clerk_return", "店员的退货/负数销售需店长审批"))
    if doc_type in VALUE_SUBJECT and plan.value > policy.value_threshold:
        reasons.append(
            Reason(
                VALUE_SUBJECT[doc_type],
                f"{VALUE_LABEL[doc_type]}金额 {money(plan.value)} 超过审批阈值 "
                f"{money(policy.value_threshold)}",
            )
        )
    return reasons


def substitution_text(sub: Substitution) -> str:
    used = qty_text(sub.used, sub.substitute.unit)
    covered = qty_text(sub.covered, sub.component.unit)
    return f"以 {sub.substitute.name} {used} 替代 {sub.component.name} {covered}（该替代需审批）"
