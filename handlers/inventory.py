"""Stock kept right: 调拨 between warehouses, 盘点, 报损, and 调价 requests."""

from __future__ import annotations

from decimal import Decimal

from core import approvals
from core.common import InvalidInput
from core.ledger import ChangePrice, Count, Transfer, WriteOff
from handlers import items, orders, posting
from handlers.grammar import (
    PRICE,
    Spec,
    normalize,
    parse_price,
    parse_request,
    split_item,
    split_options,
)
from handlers.router import SHOP, SUPPLY, Context, Reply, Router

router = Router()

TRANSFER = Spec("调拨 可乐 5 从 MAIN 到 B1", frozenset({"批号", "从", "到"}))
COUNT = Spec("盘点 可乐 23", frozenset({"仓库"}))
WRITE_OFF = Spec("报损 可乐 2 过期", frozenset({"批号", "仓库"}), note=True)
PRICE_CHANGE = Spec("调价 可乐 3.8", PRICE | {"仓库", "价目"})


@router.command("调拨", "transfer", roles=SUPPLY)
async def transfer(ctx: Context, args: str) -> Reply:
    """仓库间调拨，不写“从”就从你的仓库调出。例：调拨 可乐 5 从 MAIN 到 B1"""
    request = parse_request(args, TRANSFER)
    if "到" not in request.options:
        raise InvalidInput(f"缺少调入仓库“到 …”，例如：{TRANSFER.example}")
    lines = await items.ledger_lines(ctx, request, TRANSFER.example)
    command = Transfer(
        **posting.header(ctx, request, warehouse_option="从"),
        lines=lines,
        to_warehouse=request.options["到"],
    )
    return await posting.submit(ctx, command)


@router.command("盘点", "count", roles=SHOP)
async def count(ctx: Context, args: str) -> Reply:
    """登记实盘数量，差异自动过账。例：盘点 可乐 23"""
    if (by_scan := await orders.count_by_scan(ctx, args)) is not None:
        return by_scan
    request = parse_request(args, COUNT)
    lines = await items.ledger_lines(ctx, request, COUNT.example)
    return await posting.submit(ctx, Count(**posting.header(ctx, request), lines=lines))


@router.command("报损", "writeoff", roles=SHOP)
async def write_off(ctx: Context, args: str) -> Reply:
    """报损，数量后可写原因。例：报损 可乐 2 过期"""
    request = parse_request(args, WRITE_OFF)
    lines = await items.ledger_lines(ctx, request, WRITE_OFF.example)
    return await posting.submit(ctx, WriteOff(**posting.header(ctx, request), lines=lines))


@router.command("调价", "price", roles=SHOP)
async def change_price(ctx: Context, args: str) -> Reply:
    """申请调整售价（需审批）。例：调价 可乐 3.2 价目 批发"""
    found, rest = split_options(normalize(args).split(), PRICE_CHANGE.options, PRICE_CHANGE.example)
    name, price, reason = _name_and_price(found.get("单价"), rest)
    item = await items.resolve(ctx, name)
    command = ChangePrice(
        item=item.sku,
        new_price=price,
        actor=ctx.user.userid,
        warehouse=found.get("仓库", ctx.warehouse),
        reason=reason,
        idempotency_key=ctx.key(),
        price_list=found.get("价目"),
    )
    result = await approvals.request_price_change(ctx.uow, command)
    return await posting.approval_requested(ctx, result.approval)


def _name_and_price(written: str | None, words: list[str]) -> tuple[str, Decimal, str]:
    """``可乐 3.8 原因`` or ``可乐 @3.8 原因`` → name, price, reason."""
    example = PRICE_CHANGE.example
    if written is not None:
        if not words:
            raise InvalidInput(f"缺少商品，例如：{example}")
        return words[0], parse_price(written, example), " ".join(words[1:])
    name, price, unit, reason = split_item(words, example, what="价格")
    if unit not in (None, "元"):
        raise InvalidInput(f"价格“{price}{unit}”看不懂，例如：{example}")
    return name, price, " ".join(reason)
