"""``jxc import items``: the catalogue from .csv/.xlsx, upserted by sku, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core import catalog
from core.importer.rows import RowErrors, decimal_text
from core.importer.tables import Row, read_rows
from core.storage import Item, StockBalance, UnitOfWork

ITEM_HEADER = ("sku", "name")


@dataclass(frozen=True)
class ItemImport:
    created: int
    updated: int


async def import_items(uow: UnitOfWork, path: Path, actor: str) -> ItemImport:
    rows = read_rows(path, ITEM_HEADER)
    errors = RowErrors()
    parsed: list[tuple[int, dict[str, object]]] = []
    seen: set[str] = set()
    for line_no, row in rows:
        values = _item_values(line_no, row, errors)
        sku = str(values.get("sku", ""))
        if sku in seen:
            errors.add(line_no, f"sku {sku} 在文件中重复")
        seen.add(sku)
        parsed.append((line_no, values))
    errors.raise_if_any()
    existing = {
        item.sku: item for item in await uow.session.scalars(select(Item).where(Item.sku.in_(seen)))
    }
    await _check_new_kits(uow, parsed, existing, errors)
    errors.raise_if_any()
    created = 0
    for _, values in parsed:
        item = existing.get(str(values["sku"]))
        if item is None:
            item = Item()
            uow.session.add(item)
            created += 1
        for key, value in values.items():
            setattr(item, key, value)
    await uow.session.flush()
    uow.record(actor, "import.items", f"file:{path.name}", {"rows": len(parsed), "new": created})
    return ItemImport(created=created, updated=len(parsed) - created)


async def _check_new_kits(
    uow: UnitOfWork,
    parsed: list[tuple[int, dict[str, object]]],
    existing: dict[str, Item],
    errors: RowErrors,
) -> None:
    """A kit is never stocked: an item may become one only while it holds no stock."""
    turning = {
        str(values["sku"]): line_no
        for line_no, values in parsed
        if values.get("kind") == catalog.ItemKind.KIT
        and str(values["sku"]) in existing
        and existing[str(values["sku"])].kind != catalog.ItemKind.KIT
    }
    if not turning:
        return
    stocked = await uow.session.execute(
        select(Item.sku)
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(Item.sku.in_(turning), StockBalance.qty != 0)
        .distinct()
    )
    for (sku,) in stocked:
        errors.add(
            turning[sku], f"{sku} 还有库存，不能改为 kit（套餐不计库存）；请先盘点或报损清零"
        )


def _item_values(line_no: int, row: Row, errors: RowErrors) -> dict[str, object]:
    if not row.get("sku") or not row.get("name"):
        errors.add(line_no, "sku 和 name 必填")
    values: dict[str, object] = {"sku": row.get("sku", ""), "name": row.get("name", "")}
    for column in ("unit", "barcode", "category"):
        if row.get(column):
            values[column] = row[column]
    for column in ("price", "cost", "reorder_point", "reorder_qty"):
        if row.get(column):
            number = errors.parse(line_no, column, row[column], decimal_text)
            if number is not None and number < 0:
                errors.add(line_no, f"{column} 不能为负数")
            values[column] = number
    if row.get("kind"):
        kind = row["kind"].lower()
        kinds = tuple(catalog.ItemKind)
        if kind not in kinds:
            errors.add(line_no, f"kind “{row['kind']}” 应为 {', '.join(kinds)}")
        values["kind"] = kind
    if row.get("shelf_life_days"):
        values["shelf_life_days"] = errors.parse(
            line_no, "shelf_life_days", row["shelf_life_days"], int
        )
    if "unit" in values and "precision" not in values:
        values["unit_precision"] = catalog.unit_precision(str(values["unit"]))
    return values
