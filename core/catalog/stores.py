"""Warehouses (stores): adding them, and where their alerts go and which policy they follow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.catalog.lookup import warehouse_by_code
from core.common import InvalidInput
from core.storage import StockBalance, UnitOfWork, Warehouse

# How a warehouse's kit sales use their ingredients: taken from stock at the sale (backflush),
# or left to the kitchen's issues (issue), so that they are not consumed twice.
BY_ISSUE = "issue"
KIT_CONSUMPTION = ("backflush", BY_ISSUE)


@dataclass(frozen=True)
class WarehouseView:
    code: str
    name: str
    group_chat_id: str | None
    purchasing_chat_id: str | None
    webhook_key: str | None
    negative_stock_policy: str | None
    approval_value_threshold: Decimal | None
    kit_consumption: str = "backflush"


def warehouse_view(w: Warehouse) -> WarehouseView:
    return WarehouseView(
        w.code,
        w.name,
        w.group_chat_id,
        w.purchasing_chat_id,
        w.webhook_key,
        w.negative_stock_policy,
        w.approval_value_threshold,
        w.kit_consumption or "backflush",
    )


async def list_warehouses(uow: UnitOfWork) -> list[WarehouseView]:
    rows = await uow.session.scalars(select(Warehouse).order_by(Warehouse.code))
    return [warehouse_view(w) for w in rows]


async def add_warehouse(uow: UnitOfWork, actor: str, code: str, name: str) -> WarehouseView:
    code = code.strip().upper()
    if not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("仓库代码只能包含字母、数字、- 和 _，例如 B1")
    exists = await uow.session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if exists is not None:
        raise InvalidInput(f"仓库 {code} 已存在")
    warehouse = Warehouse(code=code, name=name)
    uow.session.add(warehouse)
    await uow.session.flush()
    uow.record(actor, "warehouse.add", f"warehouse:{code}", {"name": name})
    return warehouse_view(warehouse)


async def configure_warehouse(
    uow: UnitOfWork, actor: str, code: str, **changes: str | Decimal | None
) -> WarehouseView:
    """Set delivery targets and policy overrides; ``None`` leaves a field as it is."""
    allowed = {
        "group_chat_id",
        "purchasing_chat_id",
        "webhook_key",
        "negative_stock_policy",
        "approval_value_threshold",
        "mode",
        "price_tolerance",
        "kit_consumption",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown warehouse settings: {sorted(unknown)}")
    policy = changes.get("negative_stock_policy")
    if policy is not None and policy not in ("approve", "forbid", "allow"):
        raise InvalidInput("负库存策略只能是 approve、forbid 或 allow")
    if changes.get("mode") not in (None, "stock", "no_inventory"):
        raise InvalidInput("模式只能是 stock 或 no-inventory")
    tolerance = changes.get("price_tolerance")
    if isinstance(tolerance, Decimal) and not Decimal(0) <= tolerance <= Decimal(100):
        raise InvalidInput("价格容差是 0 到 100 之间的百分数")
    if changes.get("kit_consumption") not in (None, *KIT_CONSUMPTION):
        raise InvalidInput("套餐/菜品的原料扣减方式只能是 backflush（卖出即扣）或 issue（按领用）")
    warehouse = await warehouse_by_code(uow, code)
    if changes.get("mode") == "no_inventory" and warehouse.mode != "no_inventory":
        await _check_no_stock(uow, warehouse)
    applied = {k: v for k, v in changes.items() if v is not None}
    for key, value in applied.items():
        setattr(warehouse, key, value)
    await uow.session.flush()
    uow.record(actor, "warehouse.configure", f"warehouse:{warehouse.code}", applied)
    return warehouse_view(warehouse)


async def _check_no_stock(uow: UnitOfWork, warehouse: Warehouse) -> None:
    """A warehouse stops keeping stock only once its book stock is zero (counted out)."""
    held = await uow.session.scalar(
        select(StockBalance.id)
        .where(StockBalance.warehouse_id == warehouse.id, StockBalance.qty != 0)
        .limit(1)
    )
    if held is not None:
        raise InvalidInput(
            f"仓库 {warehouse.code} 还有库存，请先盘点清零或调拨出去，再改为无库存模式"
        )
