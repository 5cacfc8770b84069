"""配方: how a product's BOM in force now reads in chat, with its substitutes and cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from core import catalog
from core.catalog import KIND_NAMES, ItemKind
from core.common import NotFound
from core.recipes.bom import substitute_rules, versions_at
from core.recipes.tables import Bom
from core.storage import UnitOfWork


@dataclass(frozen=True)
class ComponentView:
    name: str
    unit: str
    qty: Decimal
    scrap_pct: Decimal
    gross: Decimal
    substitutes: tuple[str, ...]


@dataclass(frozen=True)
class RecipeView:
    name: str
    unit: str
    kind: str
    version: int
    versions: int
    valid_from: datetime
    components: tuple[ComponentView, ...]
    cost: Decimal


async def recipe_of(uow: UnitOfWork, query: str) -> RecipeView:
    item = await catalog.resolve_item(uow, query)
    version = (await versions_at(uow, [item.id], uow.now())).get(item.id)
    if version is None:
        raise NotFound(f"{item.name} 还没有配方；管理员可用 jxc import bom 导入")
    count = await uow.session.scalar(select(func.count(Bom.id)).where(Bom.product_id == item.id))
    rules = await substitute_rules(uow, [c.item.id for c in version.components])
    components = tuple(
        ComponentView(
            c.item.name,
            c.item.unit,
            c.qty,
            c.scrap_pct,
            c.gross,
            tuple(f"{r.substitute.name}×{r.ratio.normalize()}" for r in rules[c.item.id]),
        )
        for c in version.components
    )
    return RecipeView(
        item.name,
        item.unit,
        KIND_NAMES[ItemKind(item.kind)],
        version.version,
        int(count or 0),
        version.valid_from,
        components,
        sum((c.gross * c.item.cost for c in version.components), Decimal(0)),
    )
