"""Kits on documents: a sold kit's line carries its recipe's parts, which move instead of it,
unless the warehouse's kitchen works by issue (then the sale moves no stock).

Called by ``core.documents`` for every document; lines of other kinds pass untouched without a
query. A kit never has stock, so any document but a sale that names one is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.catalog import BY_ISSUE, ItemKind
from core.common import DOC_TYPE_NAMES, DocType, InvalidInput
from core.ledger import Part, PlanLine, SubstituteOption
from core.recipes.bom import BomVersion, substitute_rules, versions_at
from core.storage import UnitOfWork, Warehouse


async def attach_parts(
    uow: UnitOfWork, doc_type: DocType, lines: list[PlanLine], at: datetime, warehouse: Warehouse
) -> list[PlanLine]:
    """Each kit line with its parts; where the kitchen works by issue, marked to move nothing
    (领用 already took the ingredients, and the usage report reads the recipe from the line).
    """
    kits = [line for line in lines if line.item.kind == ItemKind.KIT]
    if not kits:
        return lines
    if doc_type is not DocType.SALE:
        name = kits[0].item.name
        raise InvalidInput(
            f"{name} 是套餐/菜品，不入库、不单独计库存，不能登记{DOC_TYPE_NAMES[doc_type]}；"
            f"卖出时自动扣减原料，例如：销售 {name} 1"
        )
    versions = await versions_at(uow, {line.item.id for line in kits}, at)
    for line in kits:
        if line.item.id not in versions:
            raise InvalidInput(
                f"{line.item.name} 还没有配方，无法扣减原料；请管理员先用 jxc import bom 导入配方"
            )
    kit_lines = {line.line_no for line in kits}
    if works_by_issue(warehouse):
        return [replace(ln, stockless=True) if ln.line_no in kit_lines else ln for ln in lines]
    parts = await _parts(uow, versions)
    return [replace(ln, parts=parts[ln.item.id]) if ln.line_no in kit_lines else ln for ln in lines]


def works_by_issue(warehouse: Warehouse) -> bool:
    return warehouse.kit_consumption == BY_ISSUE


async def _parts(uow: UnitOfWork, versions: dict[int, BomVersion]) -> dict[int, tuple[Part, ...]]:
    components = {c.item.id for v in versions.values() for c in v.components}
    rules = await substitute_rules(uow, components)
    return {
        product_id: tuple(
            Part(
                c.item,
                c.gross,
                tuple(
                    SubstituteOption(r.substitute, r.ratio, r.needs_approval)
                    for r in rules[c.item.id]
                ),
            )
            for c in version.components
        )
        for product_id, version in versions.items()
    }
