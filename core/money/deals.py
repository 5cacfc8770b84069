"""Brokered deals (``CH``): goods bought from a supplier and sold on, never in stock.

A deal posts a sale to the customer and a receipt from the supplier in a warehouse that
keeps no stock, and links them; the sale's lines carry the purchase price as their cost,
so the deal's margin (the broker's commission) shows in 毛利 like any sale's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from core import catalog, ledger
from core.common import InvalidInput, Posted, money, unit_price
from core.money.amounts import line_amount
from core.money.hooks import keeps_stock
from core.money.tables import Deal, LineCost
from core.storage import UnitOfWork

DEAL_PREFIX = "CH"


@dataclass(frozen=True)
class Broker:
    warehouse: str
    actor: str
    customer: str
    supplier: str
    item: str  # sku
    qty: Decimal
    sale_price: Decimal
    purchase_price: Decimal
    idempotency_key: str | None = None


@dataclass(frozen=True)
class DealView:
    number: str
    sale: str
    purchase: str
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    replayed: bool = False


async def broker(uow: UnitOfWork, cmd: Broker) -> DealView:
    key = cmd.idempotency_key
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    if keeps_stock(warehouse):
        raise InvalidInput(
            f"仓库 {warehouse.code} 记库存，撮合只用于无库存模式的仓库；有库存时请分别 入库 和 销售"
        )
    _refuse_a_loss(cmd)
    sale = await ledger.submit(
        uow,
        ledger.Sell(
            warehouse=cmd.warehouse,
            actor=cmd.actor,
            partner=cmd.customer,
            lines=(ledger.Line(cmd.item, cmd.qty, cmd.sale_price),),
            idempotency_key=key and f"{key}:sale",
        ),
    )
    purchase = await ledger.submit(
        uow,
        ledger.Receive(
            warehouse=cmd.warehouse,
            actor=cmd.actor,
            partner=cmd.supplier,
            lines=(ledger.Line(cmd.item, cmd.qty, cmd.purchase_price),),
            idempotency_key=key and f"{key}:buy",
        ),
    )
    if not isinstance(sale, Posted) or not isinstance(purchase, Posted):
        pending = sale if not isinstance(sale, Posted) else purchase
        assert not isinstance(pending, Posted)
        raise InvalidInput(f"撮合未登记：{pending.approval.reason}。请先处理后再撮合")
    earlier = await uow.session.scalar(select(Deal).where(Deal.sale_number == sale.document.number))
    if earlier is not None:
        return _view(earlier, cmd, replayed=True)
    await uow.session.execute(
        update(LineCost)
        .where(LineCost.document_id == sale.document.id)
        .values(unit_cost=cmd.purchase_price)
    )
    revenue = line_amount(cmd.qty, cmd.sale_price)
    cost = line_amount(cmd.qty, cmd.purchase_price)
    deal = Deal(
        number=await ledger.next_number(uow, DEAL_PREFIX),
        sale_number=sale.document.number,
        purchase_number=purchase.document.number,
        margin=revenue - cost,
        created_by=cmd.actor,
        created_at=uow.now(),
    )
    uow.session.add(deal)
    await uow.session.flush()
    uow.record(
        cmd.actor,
        "deal.record",
        f"deal:{deal.number}",
        {"sale": deal.sale_number, "purchase": deal.purchase_number, "margin": str(deal.margin)},
    )
    return _view(deal, cmd)


def _refuse_a_loss(cmd: Broker) -> None:
    """The sale's approval checks ask of the item's cost, not of what this deal paid for it, so
    a deal bought dearer than sold would post a loss that nobody approved."""
    if cmd.qty <= 0 or cmd.sale_price >= cmd.purchase_price:
        return
    loss = line_amount(cmd.qty, cmd.purchase_price) - line_amount(cmd.qty, cmd.sale_price)
    raise InvalidInput(
        f"售价 {unit_price(cmd.sale_price)} 低于进价 {unit_price(cmd.purchase_price)}，"
        f"会亏 {money(loss)}，未做任何更改。请核对售价和进价"
    )


def _view(deal: Deal, cmd: Broker, *, replayed: bool = False) -> DealView:
    revenue = line_amount(cmd.qty, cmd.sale_price)
    return DealView(
        deal.number,
        deal.sale_number,
        deal.purchase_number,
        revenue,
        revenue - deal.margin,
        deal.margin,
        replayed,
    )
