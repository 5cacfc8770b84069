"""新品: a manager or admin adds an item to the catalogue by chat."""

from __future__ import annotations

from decimal import Decimal

from core import catalog
from core.catalog import EXAMPLE
from core.common import InvalidInput
from core.ledger import AddItem
from handlers.grammar import normalize, parse_number, parse_price, split_options
from handlers.router import APPROVERS, Context, Reply, Router

router = Router()

OPTIONS = frozenset({"条码", "售价", "单位", "进价", "分类", "保质期", "补货点", "编码"})


@router.command("新品", "newitem", roles=APPROVERS)
async def add_item(ctx: Context, args: str) -> Reply:
    """添加新商品，可加 进价/分类/保质期/补货点/编码。例：新品 可乐 条码 690001 售价 3.5 单位 瓶"""
    found, words = split_options(normalize(args).split(), OPTIONS, EXAMPLE)
    if "售价" not in found:
        raise InvalidInput(f"缺少售价，例如：{EXAMPLE}")
    command = AddItem(
        name=" ".join(words),
        price=parse_price(found["售价"], EXAMPLE),
        actor=ctx.user.userid,
        barcode=found.get("条码"),
        sku=found.get("编码"),
        unit=found.get("单位", "个"),
        cost=parse_price(found["进价"], EXAMPLE) if "进价" in found else Decimal(0),
        category=found.get("分类", ""),
        shelf_life_days=_days(found["保质期"]) if "保质期" in found else None,
        reorder_point=_number(found, "补货点"),
    )
    item = await catalog.add_item(ctx.uow, command)
    return ctx.render("items/added.j2", item=item)


def _days(text: str) -> int:
    days = parse_number(text.removesuffix("天"), "保质期", "保质期 30")
    if days != days.to_integral_value():
        raise InvalidInput("保质期请写整天数，例如：保质期 30")
    return int(days)


def _number(found: dict[str, str], option: str) -> Decimal:
    return parse_number(found[option], option, f"{option} 24") if option in found else Decimal(0)
