"""Checking a command's lines before anything is planned: items, signs, precision, prices."""

from __future__ import annotations

from decimal import Decimal

from core import catalog
from core.common import DOC_TYPE_NAMES, DocType, InvalidInput, plain_qty
from core.ledger.commands import DocumentCommand
from core.ledger.planning import PlanLine
from core.storage import SCALE, Item, UnitOfWork

POSITIVE_ONLY = frozenset(
    {
        DocType.RECEIPT,
        DocType.SALES_RETURN,
        DocType.PURCHASE_RETURN,
        DocType.TRANSFER,
        DocType.WRITEOFF,
        DocType.ISSUE,
    }
)
SELLING_PRICE = frozenset({DocType.SALE, DocType.SALES_RETURN})
BUYING_PRICE = frozenset({DocType.RECEIPT, DocType.PURCHASE_RETURN})


async def resolve_lines(uow: UnitOfWork, cmd: DocumentCommand) -> list[PlanLine]:
    if not cmd.lines:
        raise InvalidInput("单据至少要有一行商品，例如：销售 可乐 2")
    await catalog.items_by_sku(uow, {line.item for line in cmd.lines})
    lines = []
    for number, line in enumerate(cmd.lines, start=1):
        item = await catalog.item_by_sku(uow, line.item)
        check_qty(cmd.doc_type, item, line.qty)
        price = line.price if line.price is not None else default_price(cmd.doc_type, item)
        if price is not None:
            check_price(price)
        lines.append(PlanLine(number, item, line.qty, price, line.lot, line.expiry))
    if cmd.doc_type is DocType.COUNT:
        skus = [line.item.sku for line in lines]
        if len(set(skus)) != len(skus):
            raise InvalidInput("同一张盘点单里每个商品只能出现一次")
    return lines


def check_qty(doc_type: DocType, item: Item, qty: Decimal) -> None:
    example = f"{DOC_TYPE_NAMES[doc_type]} {item.name} 2"
    if not qty.is_finite():
        raise InvalidInput(f"数量无效，例如：{example}")
    if doc_type is DocType.COUNT:
        if qty < 0:
            raise InvalidInput(f"盘点数量不能为负数，例如：盘点 {item.name} 23")
    elif qty == 0:
        raise InvalidInput(f"数量不能为 0，例如：{example}")
    elif qty < 0 and doc_type in POSITIVE_ONLY:
        raise InvalidInput(f"{DOC_TYPE_NAMES[doc_type]}数量必须大于 0，例如：{example}")
    places = max(0, -int(qty.normalize().as_tuple().exponent))
    if places > item.unit_precision:
        allowed = "整数" if item.unit_precision == 0 else f"最多 {item.unit_precision} 位小数"
        raise InvalidInput(
            f"{item.name} 以“{item.unit}”计，数量只能是{allowed}（收到 {plain_qty(qty)}）"
        )


def check_price(price: Decimal) -> None:
    if not price.is_finite() or price < 0:
        raise InvalidInput("单价不能为负数，例如：@3.5")
    if max(0, -int(price.normalize().as_tuple().exponent)) > SCALE:
        raise InvalidInput(f"单价最多 {SCALE} 位小数，例如：@3.5")


def default_price(doc_type: DocType, item: Item) -> Decimal | None:
    if doc_type in SELLING_PRICE:
        return item.price
    if doc_type in BUYING_PRICE:
        return item.cost
    return None
