"""Price changes: always a request first, applied only when a second person approves."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core import catalog
from core.approvals import records
from core.common import (
    Change,
    InvalidInput,
    NeedsApproval,
    PermissionDenied,
    PriceChanged,
    Role,
    unit_price,
)
from core.ledger.commands import ChangePrice
from core.ledger.validation import check_price
from core.money.tables import ListPrice
from core.storage import Approval, Item, UnitOfWork


async def request_price_change(uow: UnitOfWork, cmd: ChangePrice) -> NeedsApproval:
    if cmd.idempotency_key and (
        earlier := await records.by_idempotency_key(uow, cmd.idempotency_key)
    ):
        return NeedsApproval(earlier, replayed=True)
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    user = await catalog.find_user(uow, cmd.actor)
    if user is None or not user.active or user.role is Role.AUDITOR:
        raise PermissionDenied("你没有调价权限，请联系管理员")
    item = await catalog.item_by_sku(uow, cmd.item)
    check_price(cmd.new_price)
    current = item.price
    label = f"{item.name} 售价"
    if cmd.price_list is not None:
        listed = await _list_price(uow, cmd.price_list, item)
        current = item.price if listed is None else listed.price
        label = f"{item.name} 价目 {cmd.price_list}"
        if listed is None:
            label += "（新增，原按售价）"
    if cmd.new_price == current:
        named = item.name if cmd.price_list is None else label
        raise InvalidInput(f"{named} 现价已是 {unit_price(current)}，无需调价")
    approval = await records.open_request(
        uow,
        subject="price_change",
        warehouse=warehouse,
        requested_by=cmd.actor,
        # Only what the requester wrote: the change itself is the request's one change row.
        reason=cmd.reason,
        changes=[Change(label, unit_price(current), unit_price(cmd.new_price))],
        seen_versions={"item": {str(item.id): item.version}},
        item=item,
        payload={
            "sku": item.sku,
            "old_price": str(current),
            "new_price": str(cmd.new_price),
            "price_list": cmd.price_list,
        },
        idempotency_key=cmd.idempotency_key,
    )
    return NeedsApproval(approval)


def item_changed_since(item: Item, approval: Approval) -> bool:
    seen: int | None = approval.seen_versions.get("item", {}).get(str(item.id))
    return seen != item.version


async def _list_price(uow: UnitOfWork, price_list: str, item: Item) -> ListPrice | None:
    return await uow.session.scalar(
        select(ListPrice).where(
            ListPrice.price_list == price_list, ListPrice.item_id == item.id, ListPrice.min_qty == 0
        )
    )


async def apply_price_change(uow: UnitOfWork, approval: Approval, actor: str) -> PriceChanged:
    item = approval.item
    assert item is not None
    price_list = approval.payload.get("price_list")
    if price_list is not None:
        return await _apply_list_price(uow, approval, item, price_list, actor)
    old_price = item.price
    item.price = type(old_price)(approval.payload["new_price"])
    await uow.session.flush()
    uow.record(
        actor,
        "price.change",
        f"item:{item.sku}",
        {"old": str(old_price), "new": str(item.price), "approval": approval.number},
    )
    return PriceChanged(item.sku, item.name, old_price, item.price)


async def _apply_list_price(
    uow: UnitOfWork, approval: Approval, item: Item, price_list: str, actor: str
) -> PriceChanged:
    new_price = Decimal(approval.payload["new_price"])
    listed = await _list_price(uow, price_list, item)
    old_price = item.price if listed is None else listed.price
    if listed is None:
        uow.session.add(ListPrice(price_list=price_list, item_id=item.id, price=new_price))
    else:
        listed.price = new_price
    await uow.session.flush()
    uow.record(
        actor,
        "list_price.change",
        f"item:{item.sku}",
        {
            "price_list": price_list,
            "old": str(old_price),
            "new": str(new_price),
            "approval": approval.number,
        },
    )
    return PriceChanged(item.sku, f"{item.name}（价目 {price_list}）", old_price, new_price)
