"""Reading BOMs: the version in force at an instant, its components, and how 配方 shows it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.recipes.tables import Bom, BomLine, SubstituteRule
from core.storage import SCALE, Item, UnitOfWork

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BomComponent:
    item: Item
    qty: Decimal  # per one unit of the product, in the component's unit
    scrap_pct: Decimal

    @property
    def gross(self) -> Decimal:
        """Per unit with scrap: what one unit of product really takes."""
        return self.qty * (1 + self.scrap_pct / HUNDRED)

    def need(self, units: Decimal) -> Decimal:
        """For ``units`` of product, rounded up to what the component's unit can hold."""
        places = min(self.item.unit_precision, SCALE)
        return (self.gross * units).quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)

    def sold(self, units: Decimal) -> Decimal:
        """For ``units`` of a kit sold (negative: sold back), as its backflush takes it: to the
        ledger's four places, rounded away from zero (core.ledger's consume_parts)."""
        need = (self.gross * abs(units)).quantize(Decimal(1).scaleb(-SCALE), ROUND_CEILING)
        return need if units >= 0 else -need


@dataclass(frozen=True)
class BomVersion:
    id: int
    product: Item
    version: int
    valid_from: datetime
    components: tuple[BomComponent, ...]


def _version(bom: Bom) -> BomVersion:
    return BomVersion(
        bom.id,
        bom.product,
        bom.version,
        bom.valid_from,
        tuple(BomComponent(ln.component, ln.qty, ln.scrap_pct) for ln in bom.lines),
    )


_WITH_LINES = (
    selectinload(Bom.lines).selectinload(BomLine.component),
    selectinload(Bom.product),
)


async def versions_at(
    uow: UnitOfWork, product_ids: Collection[int], at: datetime
) -> dict[int, BomVersion]:
    """Each product's version in force at ``at``: the latest that started by then."""
    if not product_ids:
        return {}
    boms = await uow.session.scalars(
        select(Bom)
        .where(Bom.product_id.in_(product_ids), Bom.valid_from <= at)
        .order_by(Bom.product_id, Bom.valid_from, Bom.version)
        .options(*_WITH_LINES)
    )
    return {bom.product_id: _version(bom) for bom in boms}


async def all_versions(
    uow: UnitOfWork, product_ids: Collection[int]
) -> dict[int, list[BomVersion]]:
    """Every version of each product, oldest first (for documents made at many instants)."""
    if not product_ids:
        return {}
    boms = await uow.session.scalars(
        select(Bom)
        .where(Bom.product_id.in_(product_ids))
        .order_by(Bom.product_id, Bom.valid_from, Bom.version)
        .options(*_WITH_LINES)
    )
    found: dict[int, list[BomVersion]] = {}
    for bom in boms:
        found.setdefault(bom.product_id, []).append(_version(bom))
    return found


def version_at(versions: list[BomVersion], at: datetime) -> BomVersion | None:
    """Of one product's versions (oldest first), the one in force at ``at``."""
    started = [v for v in versions if v.valid_from <= at]
    return started[-1] if started else None


async def latest_versions(uow: UnitOfWork) -> dict[int, BomVersion]:
    """The newest version of every product that has a BOM (what a new import must not loop)."""
    boms = await uow.session.scalars(
        select(Bom).order_by(Bom.product_id, Bom.valid_from, Bom.version).options(*_WITH_LINES)
    )
    return {bom.product_id: _version(bom) for bom in boms}


async def substitute_rules(
    uow: UnitOfWork, component_ids: Collection[int]
) -> dict[int, list[SubstituteRule]]:
    """Each component's substitution rules, in priority order."""
    found: dict[int, list[SubstituteRule]] = {cid: [] for cid in component_ids}
    if not component_ids:
        return found
    rules = await uow.session.scalars(
        select(SubstituteRule)
        .where(SubstituteRule.component_id.in_(component_ids))
        .order_by(SubstituteRule.component_id, SubstituteRule.priority, SubstituteRule.id)
        .options(selectinload(SubstituteRule.substitute))
    )
    for rule in rules:
        found[rule.component_id].append(rule)
    return found
