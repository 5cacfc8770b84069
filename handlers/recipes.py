"""Recipes by chat: 配方 shows a BOM, 生产 makes a product, 领用 issues to a department, and
用量 compares recipe use with real use.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core import recipes
from core.common import InvalidInput, NeedsApproval, Posted, Role
from core.recipes import issue as issuing
from core.recipes import production, recipe_view, usage
from handlers import doc_filters, items, posting
from handlers.grammar import Spec, normalize, parse_request, split_options
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
    """原料、损耗和成本。例：配方 宫保鸡丁"""
    query = normalize(args)
    if not query:
        raise InvalidInput("请写出菜品或产品名称，例如：配方 宫保鸡丁")
    view = await recipe_view.recipe_of(ctx.uow, ctx.picks.get(query, query))
    return ctx.render("recipes/recipe.j2", recipe=view)


@router.command("生产", "produce", roles=SHOP)
async def produce(ctx: Context, args: str) -> Reply:
    """按配方生产入库。例：生产 面包 100"""
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
    """领用到部门。例：领用 面粉 5 厨房"""
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
    """理论与实际用量。例：用量 本周"""
    found, words = split_options(normalize(args).split(), frozenset({"仓库"}), USAGE_EXAMPLE)
    if len(words) > 1:
        raise InvalidInput(f"只能写一个时间范围，例如：{USAGE_EXAMPLE}、用量 2026-11-01~2026-11-30")
    start, end, label = period(ctx, words[0] if words else "本周")
    visible = ctx.visible_warehouses
    warehouse = found.get("仓库", "").upper() or (None if visible is None else ctx.warehouse)
    if visible is not None and warehouse not in visible:
        raise InvalidInput(f"你没有仓库 {warehouse} 的权限，例如：{USAGE_EXAMPLE}")
    rows = await usage.usage(ctx.uow, start, end, warehouse)
    return ctx.render(
        "recipes/usage.j2",
        rows=rows,
        departments=await recipes.issued_by_department(ctx.uow, start, end, warehouse),
        label=label,
        warehouse=warehouse or "全部仓库",
        threshold=USAGE_THRESHOLD_PCT,
    )


def period(ctx: Context, text: str) -> tuple[datetime, datetime, str]:
    """As 单据's periods (今天, 昨天, 本周, 本月, 2026-11-01~2026-11-30), and 上周."""
    today = ctx.uow.today()
    if text == "上周":
        monday = today - timedelta(days=today.weekday())
        first, after = monday - timedelta(days=7), monday
    else:
        first, after = doc_filters.period_days(text, today)
    label = text if not text[:1].isdigit() else f"{first} 至 {after - timedelta(days=1)}"
    tz = ctx.uow.tz
    return datetime.combine(first, time(), tz), datetime.combine(after, time(), tz), label


async def _outcome(ctx: Context, result: Posted | NeedsApproval) -> Reply:
    if isinstance(result, Posted):
        return ctx.render(
            "documents/posted.j2",
            document=result.document,
            balances=result.balances,
            substitutions=result.substitutions,
        )
    return await posting.approval_requested(ctx, result.approval)
