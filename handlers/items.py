"""From typed item names to ledger lines: a pick from a numbered list wins, then the catalog."""

from __future__ import annotations

from core import catalog
from core.errors import InvalidInput
from core.ledger import Line
from core.storage import Item
from handlers.grammar import ItemLine, Request
from handlers.router import Context


async def resolve(ctx: Context, name: str) -> Item:
    """The item ``name`` means; ambiguity raises ``AmbiguousItem`` (dispatch offers a list)."""
    if (sku := ctx.picks.get(name)) is not None:
        return await catalog.item_by_sku(ctx.uow, sku)
    return await catalog.resolve_item(ctx.uow, name)


def check_unit(item: Item, line: ItemLine, example: str) -> None:
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
