"""``jxc import bom FILE``: a new version of each product's BOM, from a date, all or nothing.

Header ``product_sku,component_sku,qty,scrap_pct``; ``qty`` is per one unit of the product in
the component's unit, ``scrap_pct`` (optional, default 0) the percent lost on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from core import catalog
from core.catalog import ItemKind
from core.importer import Row, RowErrors, decimal_text, read_rows
from core.recipes.bom import latest_versions
from core.recipes.tables import Bom, BomLine
from core.storage import Document, DocumentLine, Item, UnitOfWork

BOM_HEADER = ("product_sku", "component_sku", "qty")


@dataclass(frozen=True)
class BomImport:
    products: int
    lines: int
    valid_from: datetime


@dataclass
class _Draft:
    product: Item
    first_line: int
    rows: list[tuple[int, Item, Decimal, Decimal]] = field(default_factory=list)


async def import_bom(
    uow: UnitOfWork, path: Path, actor: str, valid_from: datetime | None = None
) -> BomImport:
    return await load_bom(uow, read_rows(path, BOM_HEADER), actor, valid_from, path.name)


async def load_bom(
    uow: UnitOfWork,
    rows: list[tuple[int, Row]],
    actor: str,
    valid_from: datetime | None,
    source: str,
) -> BomImport:
    """Rows as read from a file (line number, {column: text}); the demo shops pass their own."""
    start = valid_from or uow.now()
    errors = RowErrors()
    skus = {row[c] for _, row in rows for c in ("product_sku", "component_sku") if row.get(c)}
    items = await catalog.items_by_sku(uow, skus)
    drafts: dict[int, _Draft] = {}
    for line_no, row in rows:
        product = _item(items, row.get("product_sku", ""), "product_sku", line_no, errors)
        component = _item(items, row.get("component_sku", ""), "component_sku", line_no, errors)
        qty = errors.parse(line_no, "qty", row.get("qty", ""), decimal_text)
        scrap = (
            errors.parse(line_no, "scrap_pct", row["scrap_pct"], decimal_text)
            if row.get("scrap_pct")
            else Decimal(0)
        )
        if qty is not None and qty <= 0:
            errors.add(line_no, f"qty 必须大于 0（收到 {row['qty']}）")
        if scrap is not None and not Decimal(0) <= scrap < 100:
            errors.add(line_no, f"scrap_pct 应在 0 到 100 之间（收到 {row['scrap_pct']}）")
        if product is None or component is None or qty is None or scrap is None:
            continue
        _check_kinds(product, component, line_no, errors)
        draft = drafts.setdefault(product.id, _Draft(product, line_no))
        if any(c.id == component.id for _, c, _, _ in draft.rows):
            errors.add(line_no, f"{product.sku} 的配方中 {component.sku} 重复")
        draft.rows.append((line_no, component, qty, scrap))
    errors.raise_if_any()
    latest = await latest_versions(uow)
    graph = {pid: {c.item.id for c in v.components} for pid, v in latest.items()}
    graph.update({pid: {c.id for _, c, _, _ in d.rows} for pid, d in drafts.items()})
    names = (
        {item.id: item.sku for item in items.values()}
        | {c.item.id: c.item.sku for v in latest.values() for c in v.components}
        | {v.product.id: v.product.sku for v in latest.values()}
    )
    for pid, draft in drafts.items():
        if (loop := _cycle(graph, pid)) is not None:
            path_text = " → ".join(names.get(i, str(i)) for i in loop)
            errors.add(draft.first_line, f"配方循环：{path_text}（产品不能直接或间接包含自己）")
        previous = latest.get(pid)
        if previous is not None and start < previous.valid_from:
            errors.add(
                draft.first_line,
                f"{draft.product.sku} 的第 {previous.version} 版从 {previous.valid_from:%Y-%m-%d} "
                "起生效，新版本不能更早",
            )
        elif await _used_since(uow, pid, start):
            errors.add(
                draft.first_line,
                f"{draft.product.sku} 在 {start:%Y-%m-%d} 之后已有单据按旧配方过账，"
                "新版本只能从今天起生效",
            )
    errors.raise_if_any()
    for pid, draft in drafts.items():
        previous = latest.get(pid)
        bom = Bom(
            product_id=pid,
            version=1 if previous is None else previous.version + 1,
            valid_from=start,
            created_at=uow.now(),
            created_by=actor,
        )
        bom.lines = [
            BomLine(component_id=c.id, qty=qty, scrap_pct=scrap) for _, c, qty, scrap in draft.rows
        ]
        uow.session.add(bom)
    await uow.session.flush()
    count = sum(len(d.rows) for d in drafts.values())
    uow.record(
        actor,
        "import.bom",
        f"file:{source}",
        {"products": len(drafts), "lines": count, "valid_from": start.isoformat()},
    )
    return BomImport(len(drafts), count, start)


def _item(
    items: dict[str, Item], sku: str, column: str, line_no: int, errors: RowErrors
) -> Item | None:
    if not sku:
        errors.add(line_no, f"{column} 必填")
        return None
    if sku not in items:
        errors.add(line_no, f"{column} {sku} 不存在，请先用 jxc import items 导入商品")
        return None
    return items[sku]


def _check_kinds(product: Item, component: Item, line_no: int, errors: RowErrors) -> None:
    if product.id == component.id:
        errors.add(line_no, f"配方循环：{product.sku} 不能包含自己")
    if product.kind == ItemKind.STOCK:
        errors.add(
            line_no,
            f"{product.sku} 的 kind 是 stock；有配方的商品应为 kit（套餐/菜品）或 made（自制品），"
            "请在 jxc import items 的 kind 列设置",
        )
    if component.kind == ItemKind.KIT:
        errors.add(line_no, f"{component.sku} 是套餐（kit），不能作为原料")


def _cycle(graph: dict[int, set[int]], start: int) -> list[int] | None:
    """A path from ``start`` back to itself through the BOMs, if there is one."""
    stack: list[tuple[int, list[int]]] = [(start, [start])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for child in graph.get(node, set()):
            if child == start:
                return [*path, start]
            if child not in seen:
                seen.add(child)
                stack.append((child, [*path, child]))
    return None


async def _used_since(uow: UnitOfWork, product_id: int, start: datetime) -> bool:
    """Whether a document made at or after ``start`` already used this product's recipe."""
    count = await uow.session.scalar(
        select(func.count(DocumentLine.id))
        .join(Document, Document.id == DocumentLine.document_id)
        .where(DocumentLine.item_id == product_id, Document.created_at >= start)
    )
    return bool(count)
