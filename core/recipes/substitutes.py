"""``jxc import substitutes FILE``: which item may stand in for a short component.

Header ``component_sku,substitute_sku,ratio,priority,needs_approval``: ``ratio`` units of the
substitute replace one unit of the component; lower ``priority`` is tried first. A file
replaces every rule of the components it names, all or nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from core import catalog
from core.catalog import ItemKind
from core.importer import Row, RowErrors, decimal_text, read_rows
from core.recipes.tables import SubstituteRule
from core.storage import UnitOfWork

SUBSTITUTE_HEADER = ("component_sku", "substitute_sku", "ratio", "priority")
YES = {"1", "true", "yes", "y", "是"}
NO = {"", "0", "false", "no", "n", "否"}


async def import_substitutes(uow: UnitOfWork, path: Path, actor: str) -> int:
    return await load_substitutes(uow, read_rows(path, SUBSTITUTE_HEADER), actor, path.name)


async def load_substitutes(
    uow: UnitOfWork, rows: list[tuple[int, Row]], actor: str, source: str
) -> int:
    errors = RowErrors()
    skus = {row[c] for _, row in rows for c in ("component_sku", "substitute_sku") if row.get(c)}
    items = await catalog.items_by_sku(uow, skus)
    rules: list[SubstituteRule] = []
    pairs: set[tuple[str, str]] = set()
    for line_no, row in rows:
        component, substitute = row.get("component_sku", ""), row.get("substitute_sku", "")
        for column, sku in (("component_sku", component), ("substitute_sku", substitute)):
            if sku not in items:
                errors.add(line_no, f"{column} {sku or '（空）'} 不存在，请先导入商品")
        if component and component == substitute:
            errors.add(line_no, f"{component} 不能替代自己")
        if (component, substitute) in pairs:
            errors.add(line_no, f"{component} → {substitute} 重复")
        pairs.add((component, substitute))
        ratio = errors.parse(line_no, "ratio", row.get("ratio", ""), decimal_text)
        if ratio is not None and ratio <= 0:
            errors.add(line_no, f"ratio 必须大于 0（收到 {row['ratio']}）")
        priority = errors.parse(line_no, "priority", row.get("priority", ""), int)
        flag = row.get("needs_approval", "").lower()
        if flag not in YES | NO:
            errors.add(line_no, f"needs_approval “{flag}” 应为 yes 或 no")
        if substitute in items and items[substitute].kind == ItemKind.KIT:
            errors.add(line_no, f"{substitute} 是套餐（kit），不能作为替代原料")
        if component in items and substitute in items and ratio and priority is not None:
            rules.append(
                SubstituteRule(
                    component_id=items[component].id,
                    substitute_id=items[substitute].id,
                    ratio=ratio,
                    priority=priority,
                    needs_approval=flag in YES,
                )
            )
    errors.raise_if_any()
    components = {rule.component_id for rule in rules}
    await uow.session.execute(
        delete(SubstituteRule).where(SubstituteRule.component_id.in_(components))
    )
    uow.session.add_all(rules)
    await uow.session.flush()
    uow.record(actor, "import.substitutes", f"file:{source}", {"rules": len(rules)})
    return len(rules)
