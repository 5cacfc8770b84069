"""Item kinds: ``stock`` is kept and sold as it is; a ``kit`` (a dish, a gift pack) is never
stocked and selling it consumes its recipe at once; ``made`` is stocked and made by production.
"""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    STOCK = "stock"
    KIT = "kit"
    MADE = "made"


KIND_NAMES = {ItemKind.STOCK: "库存商品", ItemKind.KIT: "套餐/菜品", ItemKind.MADE: "自制品"}
