"""Adding an item to the catalogue by chat (managers and admins), audited.

The sku is the one given, else the barcode (what most small shops key items by), else the
next free ``P00001``. Weighed units (kg, 斤 …) take decimals as on import; an item with a
shelf life is batch-tracked, so receipts get an expiry.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, or_, select

from core.catalog import staff
from core.catalog.lookup import item_view
from core.catalog.units import unit_precision
from core.common import APPROVER_ROLES, InvalidInput, ItemView, PermissionDenied, money
from core.ledger.commands import AddItem
from core.ledger.validation import check_price
from core.storage import Item, UnitOfWork

BARCODE = re.compile(r"\d{4,14}")
SKU = re.compile(r"[0-9A-Za-z_\-.]{1,64}")
MAX_NAME = 60
MAX_UNIT = 16
EXAMPLE = "新品 可乐 条码 690001 售价 3.5 单位 瓶"


async def add_item(uow: UnitOfWork, cmd: AddItem) -> ItemView:
    user = await staff.find_user(uow, cmd.actor)
    if user is None or not user.active or user.role not in APPROVER_ROLES:
        raise PermissionDenied("只有店长或管理员可以添加新商品")
    _check(cmd)
    await _refuse_duplicates(uow, cmd)
    item = Item(
        sku=cmd.sku or cmd.barcode or await _next_sku(uow),
        name=cmd.name,
        barcode=cmd.barcode,
        unit=cmd.unit,
        unit_precision=unit_precision(cmd.unit),
        category=cmd.category,
        price=cmd.price,
        cost=cmd.cost,
        shelf_life_days=cmd.shelf_life_days,
        reorder_point=cmd.reorder_point,
        reorder_qty=Decimal(0),
        batch_tracked=cmd.shelf_life_days is not None,
    )
    uow.session.add(item)
    await uow.session.flush()
    uow.record(
        cmd.actor,
        "item.create",
        f"item:{item.sku}",
        {
            "name": item.name,
            "barcode": item.barcode,
            "unit": item.unit,
            "price": str(item.price),
            "cost": str(item.cost),
            "category": item.category,
            "shelf_life_days": item.shelf_life_days,
            "reorder_point": str(item.reorder_point),
        },
    )
    return item_view(item)


def _check(cmd: AddItem) -> None:
    if not cmd.name:
        raise InvalidInput(f"缺少商品名称，例如：{EXAMPLE}")
    if len(cmd.name) > MAX_NAME:
        raise InvalidInput(f"商品名称最多 {MAX_NAME} 个字")
    if re.fullmatch(r"[\d.+\-]+", cmd.name):
        raise InvalidInput(f"商品名称不能只是数字（条码请写在“条码”后），例如：{EXAMPLE}")
    if cmd.barcode is not None and not BARCODE.fullmatch(cmd.barcode):
        raise InvalidInput(f"条码“{cmd.barcode}”无效：应为 4 到 14 位数字，例如：{EXAMPLE}")
    if cmd.sku is not None and not SKU.fullmatch(cmd.sku):
        raise InvalidInput("编码只能用字母、数字和 - _ .，最多 64 位")
    check_price(cmd.price)
    if cmd.price <= 0:
        raise InvalidInput(f"售价必须大于 0（收到 {money(cmd.price)}），例如：{EXAMPLE}")
    check_price(cmd.cost)
    if not cmd.unit or len(cmd.unit) > MAX_UNIT or any(ch.isdigit() for ch in cmd.unit):
        raise InvalidInput(f"单位“{cmd.unit}”无效，例如：单位 瓶")
    if cmd.shelf_life_days is not None and cmd.shelf_life_days <= 0:
        raise InvalidInput("保质期应为大于 0 的天数，例如：保质期 30")
    if cmd.reorder_point < 0:
        raise InvalidInput("补货点不能为负数，例如：补货点 24")


async def _refuse_duplicates(uow: UnitOfWork, cmd: AddItem) -> None:
    sku = cmd.sku or cmd.barcode
    clashes = (
        await uow.session.scalars(
            select(Item).where(
                or_(
                    Item.name == cmd.name,
                    Item.barcode == (cmd.barcode or ""),
                    Item.sku == (sku or ""),
                )
            )
        )
    ).all()
    for item in clashes:
        if item.name == cmd.name:
            raise InvalidInput(f"已有商品“{item.name}”（{item.sku}），不能重复添加")
        if cmd.barcode and item.barcode == cmd.barcode:
            raise InvalidInput(f"条码 {cmd.barcode} 已用于 {item.name}（{item.sku}）")
        raise InvalidInput(f"编码 {item.sku} 已用于 {item.name}，请换一个编码")


async def _next_sku(uow: UnitOfWork) -> str:
    number = int(await uow.session.scalar(select(func.count(Item.id))) or 0) + 1
    while await uow.session.scalar(select(Item.id).where(Item.sku == f"P{number:05d}")):
        number += 1
    return f"P{number:05d}"
