"""生产: a production document (SC-…) that consumes a BOM's components and makes the product.

The BOM in force now, times the quantity, with scrap, gives each component's need (rounded up
to what its unit can hold). A component typed with ``实际`` is consumed as typed instead; a
short one is covered by its substitutes in priority order. The document holds the product's
line (+qty, priced at the consumed cost / qty, into a new batch named by the document number,
expiring after the shelf life) and a negative line per consumed item, so its approval and
posting take the ledger's usual path; what the BOM said is kept beside it (production_uses)
for the variance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core import catalog, ledger
from core.catalog import ItemKind
from core.common import DOC_PREFIX, DocType, InvalidInput, NeedsApproval, Posted, SubstitutionView
from core.ledger import (
    Line,
    Produce,
    SubstituteOption,
    Substitution,
    next_number,
    split_need,
    substitution_text,
)
from core.recipes.bom import BomVersion, substitute_rules, versions_at
from core.recipes.tables import ProductionUse
from core.storage import Item, UnitOfWork, Warehouse

EXAMPLE = "生产 面包 100"
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ProductionRequest:
    product: str  # sku
    qty: Decimal
    warehouse: str
    actor: str
    actuals: dict[str, Decimal]  # component sku → quantity really used
    note: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class UseView:
    name: str
    unit: str
    theoretical: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.theoretical


@dataclass(frozen=True)
class Produced:
    outcome: Posted | NeedsApproval
    bom_version: int
    unit_cost: Decimal
    total_cost: Decimal
    lot: str
    expiry: date | None
    uses: tuple[UseView, ...]
    substitutions: tuple[SubstitutionView, ...]


async def produce(uow: UnitOfWork, request: ProductionRequest) -> Produced | Posted | NeedsApproval:
    """The production, or the first result of the same request when it is replayed."""
    if request.idempotency_key and (replay := await ledger.replay_of(uow, request.idempotency_key)):
        return replay
    product = await catalog.item_by_sku(uow, request.product)
    if product.kind == ItemKind.KIT:
        raise InvalidInput(f"{product.name} 是套餐/菜品，不生产入库；卖出时直接扣减原料")
    if not request.qty.is_finite() or request.qty <= 0:
        raise InvalidInput(f"生产数量必须大于 0，例如：{EXAMPLE}")
    version = (await versions_at(uow, [product.id], uow.now())).get(product.id)
    if version is None:
        raise InvalidInput(
            f"{product.name} 没有配方（BOM），无法生产；请管理员先用 jxc import bom 导入配方"
        )
    warehouse = await catalog.warehouse_by_code(uow, request.warehouse)
    consumption = await _consumption(uow, version, request, warehouse)
    total = sum((qty * item.cost for item, qty in consumption.actual.items()), Decimal(0))
    unit_cost = (total / request.qty).quantize(FOUR_PLACES)
    number = await next_number(uow, DOC_PREFIX[DocType.PRODUCTION])
    lines = [Line(product.sku, request.qty, unit_cost, number)]
    lines += [Line(item.sku, -qty) for item, qty in consumption.actual.items() if qty > 0]
    outcome = await ledger.submit(
        uow,
        Produce(
            warehouse=warehouse.code,
            actor=request.actor,
            lines=tuple(lines),
            note=request.note,
            idempotency_key=request.idempotency_key,
            number=number,
            approval_note=consumption.approval_note(),
        ),
    )
    document = outcome.document if isinstance(outcome, Posted) else outcome.approval.document
    assert document is not None  # a document command's approval always carries its document
    document_id = document.id
    uow.session.add_all(
        ProductionUse(
            document_id=document_id, bom_id=version.id, item_id=item.id, theoretical_qty=q
        )
        for item, q in consumption.theoretical.items()
    )
    await uow.session.flush()
    expiry = (
        uow.today() + timedelta(days=product.shelf_life_days) if product.shelf_life_days else None
    )
    return Produced(
        outcome,
        version.version,
        unit_cost,
        total,
        number,
        expiry,
        consumption.uses(),
        ledger.substitution_views(consumption.substitutions),
    )


@dataclass
class _Consumption:
    theoretical: dict[Item, Decimal]
    actual: dict[Item, Decimal]
    substitutions: list[Substitution]

    def approval_note(self) -> str:
        return "；".join(substitution_text(s) for s in self.substitutions if s.needs_approval)

    def uses(self) -> tuple[UseView, ...]:
        """Each item the BOM or the run touched (a component fully substituted drops out)."""
        items = list(self.theoretical) + [i for i in self.actual if i not in self.theoretical]
        return tuple(
            UseView(
                i.name,
                i.unit,
                self.theoretical.get(i, Decimal(0)),
                self.actual.get(i, Decimal(0)),
            )
            for i in items
            if self.theoretical.get(i) or self.actual.get(i)
        )


async def _consumption(
    uow: UnitOfWork, version: BomVersion, request: ProductionRequest, warehouse: Warehouse
) -> _Consumption:
    components = {c.item.sku: c for c in version.components}
    for sku, qty in request.actuals.items():
        if sku not in components:
            item = await catalog.item_by_sku(uow, sku)
            first = version.components[0].item.name
            raise InvalidInput(
                f"{item.name} 不在 {version.product.name} 的配方中，"
                f"“实际”只能写配方里的原料，例如：{EXAMPLE} 实际 {first} 26"
            )
        _check_actual(components[sku].item, qty)
    rules = await substitute_rules(uow, [c.item.id for c in version.components])
    stocked = {c.item for c in version.components} | {
        r.substitute for group in rules.values() for r in group
    }
    balances = await ledger.locked_balances(uow, {(i.id, warehouse.id) for i in stocked})
    today = uow.today()
    on_hand = {
        item: sum(
            (
                b.qty
                for b in balances[(item.id, warehouse.id)]
                if b.qty > 0 and not ledger.is_expired(b.batch, today)
            ),
            Decimal(0),
        )
        for item in stocked
    }
    result = _Consumption(defaultdict(Decimal), defaultdict(Decimal), [])

    def available(item: Item) -> Decimal:
        return on_hand[item] - result.actual[item]

    for component in version.components:
        need = component.need(request.qty)
        if component.item.sku in request.actuals:
            result.theoretical[component.item] += need
            result.actual[component.item] += request.actuals[component.item.sku]
            continue
        options = tuple(
            SubstituteOption(r.substitute, r.ratio, r.needs_approval)
            for r in rules[component.item.id]
        )
        own, substitutions = split_need(component.item, need, options, available, in_units=True)
        for used in substitutions:
            result.theoretical[used.substitute] += used.used
            result.actual[used.substitute] += used.used
        result.theoretical[component.item] += own
        result.actual[component.item] += own
        result.substitutions.extend(substitutions)
    return result


def _check_actual(item: Item, qty: Decimal) -> None:
    """What was really used: none is a variance, less than none would put stock back."""
    if not qty.is_finite() or qty < 0:
        raise InvalidInput(
            f"实际用量不能为负数（收到 {item.name} {qty}），没用就写 0，"
            f"例如：{EXAMPLE} 实际 {item.name} 26"
        )
    if qty > 0:
        ledger.check_qty(DocType.PRODUCTION, item, qty)
