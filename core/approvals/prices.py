"""Price changes: always a request first, applied only when a second person approves."""

from __future__ import annotations

from core import catalog
from core.approvals import records
from core.doctypes import Role
from core.errors import InvalidInput, PermissionDenied
from core.fmt import money
from core.ledger.commands import ChangePrice
from core.ledger.validation import check_price
from core.storage import Approval, Item, UnitOfWork
from core.views import Change, NeedsApproval, PriceChanged


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
    if cmd.new_price == item.price:
        raise InvalidInput(f"{item.name} 现价已是 {money(item.price)}，无需调价")
    approval = await records.open_request(
        uow,
        subject="price_change",
        warehouse=warehouse,
        requested_by=cmd.actor,
        # Only what the requester wrote: the change itself is the request's one change row.
        reason=cmd.reason,
        changes=[Change(f"{item.name} 售价", money(item.price), money(cmd.new_price))],
        seen_versions={"item": {str(item.id): item.version}},
        item=item,
        payload={"sku": item.sku, "old_price": str(item.price), "new_price": str(cmd.new_price)},
        idempotency_key=cmd.idempotency_key,
    )
    return NeedsApproval(approval)


def item_changed_since(item: Item, approval: Approval) -> bool:
    seen: int | None = approval.seen_versions.get("item", {}).get(str(item.id))
    return seen != item.version


async def apply_price_change(uow: UnitOfWork, approval: Approval, actor: str) -> PriceChanged:
    item = approval.item
    assert item is not None
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
