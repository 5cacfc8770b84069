"""From typed item names to ledger lines: a pick from a numbered list wins, then the catalog."""

from __future__ import annotations

from core import catalog
from core.common import InvalidInput, ItemView, UnknownItem
from core.ledger import Line
from handlers.grammar import ItemLine, Request
from handlers.router import APPROVERS, Context


async def resolve(ctx: Context, name: str) -> ItemView:
    """The item ``name`` means; ambiguity raises ``AmbiguousItem`` (dispatch offers a list).

    An unknown name may be a new product: the refusal says how to add it, or who can.
    """
    if (sku := ctx.picks.get(name)) is not None:
        return await catalog.item_view_by_sku(ctx.uow, sku)
    try:
        return await catalog.resolve_item_view(ctx.uow, name)
    except UnknownItem as error:
        raise UnknownItem(f"{error.message}\n{new_item_hint(ctx, name)}") from error


def new_item_hint(ctx: Context, name: str) -> str:
    if ctx.user.role in APPROVERS:
        return f"如是新商品，先添加：新品 {name} 条码 690001 售价 3.5 单位 瓶"
    return "如是新商品，请店长或管理员用“新品”添加后再登记"


def check_unit(item: ItemView, line: ItemLine, example: str) -> None:
    """``24瓶`` is fine for an item counted in 瓶; ``24箱`` is refused rather than guessed."""
    if line.unit is not None and line.unit.casefold() != item.unit.casefold():
        raise InvalidInput(
            f"{item.name} 以“{item.unit}”计，不能按“{line.unit}”登记，"
            f"例如：{example.split()[0]} {item.name} {line.qty}{item.unit}"
        )


async def ledger_lines(ctx: Context, request: Request, example: str) -> tuple[Line, ...]:
    lines = []
    for line in request.lines:
        item = await resolve(ctx, line.name)
        check_unit(item, line, example)
        lines.append(Line(item.sku, line.qty, line.price, line.lot, line.expiry))
    return tuple(lines)
