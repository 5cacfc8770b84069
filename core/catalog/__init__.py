"""What the shop is made of: items, partners and warehouses (looked up), warehouses (added
and configured), and staff with their roles and warehouses.
"""

from __future__ import annotations

from core.catalog.lookup import (
    DEFAULT_WAREHOUSE,
    item_by_sku,
    items_by_sku,
    partner_named,
    resolve_item,
    warehouse_by_code,
)
from core.catalog.new_items import (
    add_item,
)
from core.catalog.staff import (
    USERS_MEMO,
    UserView,
    find_user,
    list_users,
    save_user,
    user_view,
    users_with_roles,
)
from core.catalog.stores import (
    WarehouseView,
    add_warehouse,
    configure_warehouse,
    list_warehouses,
    warehouse_view,
)
from core.catalog.units import (
    unit_precision,
)

__all__ = [
    "DEFAULT_WAREHOUSE",
    "USERS_MEMO",
    "UserView",
    "WarehouseView",
    "add_item",
    "add_warehouse",
    "configure_warehouse",
    "find_user",
    "item_by_sku",
    "items_by_sku",
    "list_users",
    "list_warehouses",
    "partner_named",
    "resolve_item",
    "save_user",
    "unit_precision",
    "user_view",
    "users_with_roles",
    "warehouse_by_code",
    "warehouse_view",
]
