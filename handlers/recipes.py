"""Recipes by chat: 配方 shows a BOM, 生产 makes a product, 领用 issues to a department, and
用量 compares recipe use with real use.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core.doctypes import Role
from core.errors import InvalidInput
from core.recipes import issue as issuing
from core.recipes import production, recipe_view, usage
from core.views import Posted
from handlers import items, posting
from handlers.grammar import Spec, normalize, parse_date, parse_request
from handlers.router import ANY, SHOP, Context, Reply, Router

router = Router()

PRODUCE = Spec("生产 面包 100", frozenset({"仓库"}), note=True)
ACTUAL = Spec("生产 面包 100 实际 面粉 26")
ISSUE = Spec("领用 面粉 5 厨房", frozenset({"部门", "仓库", "批号"}), note=True)
USAGE_EXAMPLE = "用量 本周"
REVIEWERS = frozenset({Role.MANAGER, Role.ADMIN, Role.AUDITOR})
USAGE_THRESHOLD_PCT = 5


@router.command("配方", "recipe", roles=ANY)
async def recipe(ctx: Context, args: str) -> Reply:
    """查看配方（BOM）：原料、损耗、替代料和成本。例：配方 宫保鸡丁"""
    query = normalize(args)
    if not query:
        raise InvalidInput("请写出菜品或产品名称，例如：配方 宫保鸡丁")
    view = await recipe_view.recipe_of(ctx.uow, ctx.picks.get(query, query))
    return ctx.render("recipes/recipe.j2", recipe=view)


@router.command("生产", "produce", roles=SHOP)
async def produce(ctx: Context, args: str) -> Reply:
    """按配方生产入库，可写实际用量。例：生产 面包 100 实际 面粉 26"""
    head, _, actual_text = normalize(args).partition("实际")
    request = parse_request(head, PRODUCE)
    if len(request.lines) != 1:
        raise InvalidInput(f"一次生产一种产品，例如：{PRODUCE.example}")
    line = request.lines[0]
    product = await items.resolve(ctx, line.name)
    items.check_unit(product, line, PRODUCE.example)
    actuals = {}
    if actual_text.strip():
        for used in parse_request(actual_text, ACTUAL).lines:
            item = await items.resolve(ctx, used.name)
            items.check_unit(item, used, ACTUAL.example)
            actuals[item.sku] = used.qty
    elif "实际" in args:
        raise InvalidInput(f"“实际”后面写原料和数量，例如：{ACTUAL.example}")
    result = await production.produce(
        ctx.uow,
        production.ProductionRequest(
            product=product.sku,
            qty=line.qty,
            warehouse=request.options.get("仓库", ctx.warehouse),
            actor=ctx.user.userid,
            actuals=actuals,
            note=request.note,
            idempotency_key=ctx.key(),
        ),
    )
    if not isinstance(result, production.Produced):
        return await _outcome(ctx, result)
    if not isinstance(result.outcome, Posted):
        reply = await posting.approval_requested(ctx, result.outcome.approval)
        return ctx.render(
            "recipes/produced.j2", result=result, product=product, qty=line.qty, approval=reply.text
        )
    return ctx.render(
        "recipes/produced.j2", result=result, product=product, qty=line.qty, approval=""
    )


@router.command("领用", "issue", roles=SHOP)
async def issue(ctx: Context, args: str) -> Reply:
    """领用出库到部门（厨房、生产等）。例：领用 面粉 5 厨房"""
    request = parse_request(args, ISSUE)
    words = request.note.split()
    department = request.options.get("部门") or (words[0] if words else None)
    note = " ".join(words[1:] if "部门" not in request.options else words)
    lines = await items.ledger_lines(ctx, request, ISSUE.example)
    result = await issuing.issue(
        ctx.uow,
        warehouse=request.options.get("仓库", ctx.warehouse),
        actor=ctx.user.userid,
        department=department,
        lines=lines,
        note=note,
        idempotency_key=ctx.key(),
    )
    return await _outcome(ctx, result)


@router.command("用量", "usage", roles=REVIEWERS)
async def usage_report(ctx: Context, args: str) -> Reply:
    """理论用量（配方）与实际用量（领用、生产、盘点）对比。例：用量 本周"""
    start, end, label = period(ctx, normalize(args) or "本周")
    warehouse = None if ctx.visible_warehouses is None else ctx.warehouse
    rows = await usage.usage(ctx.uow, start, end, warehouse)
    return ctx.render(
        "recipes/usage.j2",
        rows=rows,
        label=label,
        warehouse=warehouse or "全部仓库",
        threshold=USAGE_THRESHOLD_PCT,
    )


def period(ctx: Context, text: str) -> tuple[datetime, datetime, str]:
    """``本周``, ``上周``, ``本月``, ``今天`` or ``2026-11-01 2026-11-30`` (both days included)."""
    today = ctx.uow.today()
    monday = today - timedelta(days=today.weekday())
    named = {
        "今天": (today, today + timedelta(days=1)),
        "本周": (monday, monday + timedelta(days=7)),
        "上周": (monday - timedelta(days=7), monday),
        "本月": (today.replace(day=1), (today.replace(day=28) + timedelta(days=4)).replace(day=1)),
    }
    if text in named:
        first, after = named[text]
        label = text
    else:
        days = text.split()
        if len(days) != 2:
            raise InvalidInput(
                f"时间段看不懂“{text}”，请写 本周/上周/本月/今天，例如：{USAGE_EXAMPLE}"
            )
        first = parse_date(days[0], USAGE_EXAMPLE)
        after = parse_date(days[1], USAGE_EXAMPLE) + timedelta(days=1)
        if after <= first:
            raise InvalidInput(f"结束日期不能早于开始日期，例如：用量 {today} {today}")
        label = f"{first} 至 {after - timedelta(days=1)}"
    tz = ctx.uow.tz
    return (
        datetime.combine(first, time(), tz),
        datetime.combine(after, time(), tz),
        label,
    )


async def _outcome(ctx: Context, result: object) -> Reply:
    if isinstance(result, Posted):
        return ctx.render(
            "orders/posted.j2",
            document=result.document,
            balances=result.balances,
            substitutions=result.substitutions,
        )
    return await posting.approval_requested(ctx, result.approval)  # type: ignore[attr-defined]
