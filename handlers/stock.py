"""查: an item's stock per warehouse, with batches, expiry, and what pending requests hold."""

from __future__ import annotations

from core import money, orders
from core.common import DomainError, UnknownItem
from handlers.grammar import normalize, split_options
from handlers.items import new_item_hint
from handlers.router import ANY, Context, Reply, Router

router = Router()

EXAMPLE = "查 可乐"


@router.command("查", "stock", roles=ANY)
async def stock(ctx: Context, args: str) -> Reply:
    """库存、批次和到期，可按名称、编码或条码。例：查 可乐"""
    found, words = split_options(normalize(args).split(), frozenset({"仓库"}), EXAMPLE)
    query = " ".join(words)
    warehouse = found.get("仓库")
    try:
        return await _stock_reply(ctx, ctx.picks.get(query, query), warehouse)
    except UnknownItem as error:
        sku = await _sku_of_code(ctx, query)
        if sku is None:
            raise UnknownItem(f"{error.message}\n{new_item_hint(ctx, query)}") from error
    return await _stock_reply(ctx, sku, warehouse)


async def _stock_reply(ctx: Context, query: str, warehouse: str | None) -> Reply:
    prices = await money.trade_prices(ctx.uow, query, warehouse or ctx.warehouse)
    if prices is not None:
        ordered = await orders.open_lines_of(ctx.uow, prices.sku, prices.warehouse)
        return ctx.render("money/prices.j2", view=prices, orders=ordered)
    view = await orders.stock_of(ctx.uow, query, warehouse)
    return ctx.render("stock/balance.j2", stock=view)


async def _sku_of_code(ctx: Context, query: str) -> str | None:
    """The item of a code registered by 条码 (a pack's, a scale's), read as a scan reads it."""
    try:
        return (await orders.resolve_scan(ctx.uow, query)).item.sku
    except DomainError:
        return None
