"""查: an item's stock per warehouse, with batches, expiry, and what pending requests hold."""

from __future__ import annotations

from core import money, orders
from core.common import UnknownItem
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
    warehouse = found.get("仓库", ctx.warehouse)
    try:
        prices = await money.trade_prices(ctx.uow, ctx.picks.get(query, query), warehouse)
        if prices is not None:
            ordered = await orders.open_lines_of(ctx.uow, prices.sku, prices.warehouse)
            return ctx.render("money/prices.j2", view=prices, orders=ordered)
        view = await orders.stock_of(ctx.uow, ctx.picks.get(query, query), found.get("仓库"))
    except UnknownItem as error:
        raise UnknownItem(f"{error.message}\n{new_item_hint(ctx, query)}") from error
    return ctx.render("stock/balance.j2", stock=view)
