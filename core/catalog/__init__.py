"""What the shop is made of: items and their kinds, partners and warehouses (looked up),
warehouses (added and configured), and staff with their roles and warehouses.
"""

from __future__ import annotations

from core.catalog.items import (
    NewItem,
    add_items,
    has_items,
)
from core.catalog.kinds import KIND_NAMES, ItemKind
from core.catalog.lookup import (
    DEFAULT_WAREHOUSE,
    item_by_sku,
    item_view,
    item_view_by_sku,
    items_by_sku,
    partner_named,
    resolve_item,
    resolve_item_view,
    resolve_item_with_id,
    warehouse_by_code,
    warehouse_code,
)
from core.catalog.new_items import (
    BARCODE,
    EXAMPLE,
    MAX_NAME,
    MAX_UNIT,
    SKU,
    add_item,
)
from core.catalog.staff import (
    USERS_MEMO,
    UserView,
    find_user,
    find_users,
    list_users,
    save_user,
    staff_names,
    user_view,
    users_with_roles,
)
from core.catalog.stores import (
    BY_ISSUE,
    KIT_CONSUMPTION,
    WarehouseView,
    add_warehouse,
    configure_warehouse,
    list_warehouses,
    warehouse_view,
)
from core.catalog.units import (
    WEIGHT_UNITS,
    unit_precision,
)

__all__ = [
    "BARCODE",
    "BY_ISSUE",
    "DEFAULT_WAREHOUSE",
    "EXAMPLE",
    "KIND_NAMES",
    "KIT_CONSUMPTION",
    "MAX_NAME",
    "MAX_UNIT",
    "SKU",
    "USERS_MEMO",
    "WEIGHT_UNITS",
    "ItemKind",
    "NewItem",
    "UserView",
    "WarehouseView",
    "add_item",
    "add_items",
    "add_warehouse",
    "configure_warehouse",
    "find_user",
    "find_users",
    "has_items",
    "item_by_sku",
    "item_view",
    "item_view_by_sku",
    "items_by_sku",
    "list_users",
    "list_warehouses",
    "partner_named",
    "resolve_item",
    "resolve_item_view",
    "resolve_item_with_id",
    "save_user",
    "staff_names",
    "unit_precision",
    "user_view",
    "users_with_roles",
    "warehouse_by_code",
    "warehouse_code",
    "warehouse_view",
]
