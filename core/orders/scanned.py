"""From a scanned code to the item and quantity it stands for (and the batch, on a label).

A GTIN is looked up among the items' extra barcodes (a 12-pack counts ``pack_qty`` units) and
then the item's own ``barcode``; an in-house code among the extra codes, then skus; a scale
code among the ``scale`` codes, its five digits read as grams (qty in kg) or fen (qty = price
÷ the item's price, at the unit's precision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from core import catalog
from core.common import InvalidInput, NotFound
from core.orders.barcodes import BatchLabel, GtinCode, InHouseCode, ScaleCode, read_code
from core.orders.tables import ItemBarcode
from core.storage import Item, UnitOfWork

CODE, SCALE = "code", "scale"
WEIGHT, PRICE = "weight", "price"
GRAMS_PER_KG = Decimal(1000)
FEN_PER_YUAN = Decimal(100)


@dataclass(frozen=True)
class Scanned:
    item: Item
    qty: Decimal
    code: str
    lot: str | None = None
    expiry: date | None = None
    pack: bool = False


class UnknownCode(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"条码 {code} 不在商品库")
        self.code = code


async def resolve_scan(uow: UnitOfWork, raw: str) -> Scanned:
    code = read_code(raw)
    if isinstance(code, ScaleCode):
        return await _weighed(uow, code)
    text = code.gtin if isinstance(code, GtinCode | BatchLabel) else code.text
    found = await _by_code(uow, text)
    if found is None and isinstance(code, BatchLabel) and len(text) == 13 and text[0] == "0":
        found = await _by_code(uow, text[1:])  # a UPC-A inside a GTIN-13
    if found is None and isinstance(code, InHouseCode):
        skus = await catalog.items_by_sku(uow, [text])
        if text in skus:
            found = Scanned(skus[text], Decimal(1), text)
    if found is None:
        raise UnknownCode(text)
    if isinstance(code, BatchLabel):
        return Scanned(found.item, found.qty, code.text, code.lot, code.expiry, found.pack)
    return found


async def _by_code(uow: UnitOfWork, text: str) -> Scanned | None:
    extra = await uow.session.scalar(
        select(ItemBarcode).where(ItemBarcode.kind == CODE, ItemBarcode.code == text)
    )
    if extra is not None:
        packed = await uow.session.get_one(Item, extra.item_id)
        return Scanned(packed, extra.pack_qty, text, pack=extra.pack_qty != 1)
    item = await uow.session.scalar(select(Item).where(Item.barcode == text).limit(1))
    return None if item is None else Scanned(item, Decimal(1), text)


async def _weighed(uow: UnitOfWork, code: ScaleCode) -> Scanned:
    scale = await uow.session.scalar(
        select(ItemBarcode).where(ItemBarcode.kind == SCALE, ItemBarcode.code == code.plu)
    )
    if scale is None:
        raise UnknownCode(code.text)
    item = await uow.session.get_one(Item, scale.item_id)
    step = Decimal(1).scaleb(-item.unit_precision)
    if scale.embeds == PRICE:
        if item.price <= 0:
            raise InvalidInput(f"{item.name} 没有售价，不能按金额条码换算重量")
        qty = (Decimal(code.value) / FEN_PER_YUAN / item.price).quantize(step, ROUND_HALF_UP)
    else:
        qty = (Decimal(code.value) / GRAMS_PER_KG).quantize(step, ROUND_HALF_UP)
    if qty <= 0:
        raise InvalidInput(f"称重条码 {code.text} 的重量为 0，请重新称重")
    return Scanned(item, qty, code.text)


async def add_barcode(
    uow: UnitOfWork,
    actor: str,
    sku: str,
    code: str,
    pack_qty: Decimal = Decimal(1),
    *,
    scale: str | None = None,
) -> None:
    """Register another code of the item: a GTIN or in-house code, or a scale item code."""
    item = await catalog.item_by_sku(uow, sku)
    if scale is not None:
        if not (len(code) == 5 and code.isdigit()) or scale not in (WEIGHT, PRICE):
            raise InvalidInput(
                "称重码是 5 位数字，按 weight（克）或 price（分），例如：条码 苹果 称重 00123"
            )
        kind, stored = SCALE, code
    else:
        parsed = read_code(code)
        if isinstance(parsed, ScaleCode | BatchLabel):
            raise InvalidInput(f"{code} 是称重或批次条码，不能登记为商品条码")
        kind, stored = CODE, parsed.gtin if isinstance(parsed, GtinCode) else parsed.text
        if pack_qty <= 0 or pack_qty != pack_qty.to_integral_value():
            raise InvalidInput("每包数量必须是正整数，例如：条码 可乐 6901234567885 12")
    existing = await uow.session.scalar(
        select(ItemBarcode).where(ItemBarcode.kind == kind, ItemBarcode.code == stored)
    )
    if existing is not None:
        owner = await uow.session.get_one(Item, existing.item_id)
        raise InvalidInput(f"条码 {stored} 已属于 {owner.name}")
    row = ItemBarcode(kind=kind, code=stored, item_id=item.id, pack_qty=pack_qty, embeds=scale)
    uow.session.add(row)
    await uow.session.flush()
    uow.record(
        actor,
        "barcode.add",
        f"item:{item.sku}",
        {"code": stored, "kind": kind, "pack_qty": str(pack_qty), "embeds": scale},
    )
