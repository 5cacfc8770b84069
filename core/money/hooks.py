"""What the document path asks of the money side: prices and reasons before, books after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, func, insert, select, update

from core import catalog
from core.common import DOC_TYPE_NAMES, DocType, InvalidInput
from core.money import contracts, receivables
from core.money.pricing import MoneyReason, PriceView, credit_reasons, customer_prices, price_view
from core.money.tables import DocumentContract, LineCost, PartnerItem
from core.storage import Document, Partner, ReadStatement, UnitOfWork, Warehouse

if TYPE_CHECKING:  # called by the ledger's posting path: no import of it at run time
    from core.ledger import DocumentCommand, PlanLine

NO_INVENTORY = "no_inventory"
# What a warehouse that keeps no stock still records: trade with partners.
TRADE_TYPES = frozenset(
    {DocType.SALE, DocType.SALES_RETURN, DocType.RECEIPT, DocType.PURCHASE_RETURN}
)
COSTED_TYPES = frozenset({DocType.SALE, DocType.SALES_RETURN})
_MODE_OF = ReadStatement(
    select(Warehouse.mode).where(func.upper(Warehouse.code) == bindparam("code"))
)


def keeps_stock(warehouse: Warehouse) -> bool:
    return warehouse.mode != NO_INVENTORY


async def brokers_anywhere(uow: UnitOfWork) -> bool:
    """Whether any warehouse keeps no stock: only there may a deal be brokered (撮合)."""
    found = await uow.session.scalar(
        select(Warehouse.id).where(Warehouse.mode == NO_INVENTORY).limit(1)
    )
    return found is not None


async def trade_prices(uow: UnitOfWork, query: str, warehouse_code: str) -> PriceView | None:
    """An item's prices in a warehouse that keeps no stock; None when the warehouse keeps stock.

    Its mode is read as a plain row first: nearly every 查 is in a warehouse that keeps stock,
    and then no warehouse is loaded through the ORM (nor the handling's savepoint sent).
    """
    connection = await uow.read_connection()
    modes = await _MODE_OF.rows(connection, {"code": warehouse_code.strip().upper()})
    if modes and modes[0].mode != NO_INVENTORY:
        return None
    warehouse = await catalog.warehouse_by_code(uow, warehouse_code)  # or its NotFound
    if keeps_stock(warehouse):
        return None
    return await price_view(uow, await catalog.resolve_item(uow, query), warehouse)


def refuse_stock_work(doc_type: DocType, *warehouses: Warehouse | None) -> None:
    if doc_type in TRADE_TYPES:
        return
    for warehouse in warehouses:
        if warehouse is not None:
            refuse_without_stock(warehouse, DOC_TYPE_NAMES[doc_type])


def refuse_without_stock(warehouse: Warehouse, what: str) -> None:
    """Stock work (``what``: 盘点, 拣货 …) is refused, with the reason, where no stock is kept."""
    if not keeps_stock(warehouse):
        raise InvalidInput(
            f"仓库 {warehouse.code} 是无库存模式（只记买卖、往来和毛利，不记库存），不能{what}"
        )


async def before_plan(
    uow: UnitOfWork,
    cmd: DocumentCommand,
    partner: Partner | None,
    warehouse: Warehouse,
    lines: list[PlanLine],
    original: Document | None,
    *,
    enforce_policy: bool,
) -> tuple[list[PlanLine], list[MoneyReason]]:
    """Customer prices on the lines, and what of price and credit needs a manager."""
    if cmd.contract is not None:
        await contracts.check_citation(uow, cmd.contract, partner)
    priced, reasons = await customer_prices(uow, cmd, partner, warehouse, lines, original)
    if not enforce_policy:
        return priced, []
    return priced, reasons + await credit_reasons(uow, cmd.doc_type, partner, priced)


async def after_insert(uow: UnitOfWork, cmd: DocumentCommand, document_id: int) -> None:
    if cmd.contract is not None:
        await contracts.cite(uow, document_id, cmd.contract)


async def after_post(
    uow: UnitOfWork,
    *,
    document_id: int,
    number: str,
    doc_type: str,
    partner: Partner | None,
    warehouse: Warehouse,
    line_ids: dict[int, int],
    lines: Sequence[PlanLine],
    posted_at: datetime,
    actor: str,
    original_number: str | None,
) -> None:
    """Open the receivable or payable; without moves, keep what each sold line cost."""
    if not keeps_stock(warehouse) and DocType(doc_type) in COSTED_TYPES:
        connection = await uow.connection()
        await connection.execute(
            insert(LineCost),
            [
                {
                    "line_id": line_ids[ln.line_no],
                    "document_id": document_id,
                    "unit_cost": ln.item.cost,
                }
                for ln in lines
            ],
        )
    await receivables.open_for_document(
        uow,
        document_id=document_id,
        number=number,
        doc_type=doc_type,
        partner=partner,
        warehouse_id=warehouse.id,
        lines=[(ln.qty, ln.price) for ln in lines],
        posted_at=posted_at,
        actor=actor,
        original_number=original_number,
    )


async def detach_archived(uow: UnitOfWork, document_ids: Sequence[int]) -> None:
    """Before ``jxc archive`` deletes documents: their open items stay, without the key."""
    connection = await uow.connection()
    await connection.execute(
        update(PartnerItem)
        .where(PartnerItem.document_id.in_(document_ids))
        .values(document_id=None)
    )
    for model in (LineCost, DocumentContract):
        await connection.execute(delete(model).where(model.document_id.in_(document_ids)))
