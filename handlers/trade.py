"""Goods in and out with a partner, one line or several: 入库, 销售, 退货, 采购退货."""

from __future__ import annotations

from core.ledger import Receive, ReturnPurchase, ReturnSale, Sell
from handlers import items, orders, posting
from handlers.grammar import PRICE, Spec, normalize, parse_request
from handlers.router import SHOP, STAFF, SUPPLY, Context, Reply, Router

router = Router()

RECEIVE = Spec("入库 可乐 24", PRICE | {"批号", "到期", "供应商", "仓库", "合同"})
SELL = Spec("销售 可乐 2", PRICE | {"批号", "客户", "仓库", "合同"})
RETURN = Spec("退货 可乐 1", PRICE | {"客户", "原单", "仓库"})
PURCHASE_RETURN = Spec("采购退货 可乐 4", PRICE | {"批号", "供应商", "仓库"})


async def receive_command(ctx: Context, args: str) -> Receive | None:
    """The receipt ``入库`` posts (None: it receives a purchase order)."""
    if orders.ORDER_NUMBER.fullmatch(normalize(args).upper()):
        return None
    request = parse_request(args, RECEIVE)
    lines = await items.ledger_lines(ctx, request, RECEIVE.example)
    return Receive(
        **posting.header(ctx, request),
        lines=lines,
        partner=request.options.get("供应商"),
        contract=request.options.get("合同"),
    )


@router.command("入库", "receive", roles=STAFF, document=receive_command)
async def receive(ctx: Context, args: str) -> Reply:
    """收货入库，可加 单价/批号/到期/供应商。例：入库 可乐 24 单价2.5"""
    command = await receive_command(ctx, args)
    if command is None:
        return await orders.receive_order(ctx, normalize(args).upper())
    return await posting.submit(ctx, command)


async def sell_command(ctx: Context, args: str) -> Sell:
    """The sale ``销售`` posts."""
    request = parse_request(args, SELL)
    lines = await items.ledger_lines(ctx, request, SELL.example)
    return Sell(
        **posting.header(ctx, request),
        lines=lines,
        partner=request.options.get("客户"),
        contract=request.options.get("合同"),
    )


@router.command("销售", "sell", roles=SHOP, document=sell_command)
async def sell(ctx: Context, args: str) -> Reply:
    """销售出库，多行用逗号隔开，负数为退回。例：销售 客户张三: 可乐 2 @3.5, 雪碧 3"""
    return await posting.submit(ctx, await sell_command(ctx, args))


@router.command("退货", "return", roles=SHOP)
async def sales_return(ctx: Context, args: str) -> Reply:
    """顾客退货（店员需审批），可加 客户/原单。例：退货 可乐 1 原单 XS-20261126-0001"""
    request = parse_request(args, RETURN)
    lines = await items.ledger_lines(ctx, request, RETURN.example)
    command = ReturnSale(
        **posting.header(ctx, request),
        lines=lines,
        partner=request.options.get("客户"),
        original_number=request.options.get("原单"),
    )
    return await posting.submit(ctx, command)


@router.command("采购退货", "preturn", roles=SUPPLY)
async def purchase_return(ctx: Context, args: str) -> Reply:
    """退货给供应商。例：采购退货 可乐 4 供应商 可口可乐"""
    request = parse_request(args, PURCHASE_RETURN)
    lines = await items.ledger_lines(ctx, request, PURCHASE_RETURN.example)
    command = ReturnPurchase(
        **posting.header(ctx, request), lines=lines, partner=request.options.get("供应商")
    )
    return await posting.submit(ctx, command)
