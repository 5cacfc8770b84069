"""Orders by chat: 订单 (sales orders), 采购 (purchase orders), 拣货/发货, 收货 (and 入库 of a
purchase order), 取消订单, 盘点任务, 条码; scans are in ``handlers.scans``."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

from core import orders
from core.common import InvalidInput, Posted
from core.ledger import Line
from core.orders import PICK, PURCHASE, RECEIVE, SALES, NewOrder
from handlers import doc_filters, items, posting
from handlers.grammar import PRICE, Spec, normalize, parse_number, parse_request, split_options
from handlers.router import APPROVERS, SHOP, STAFF, SUPPLY, Context, Reply, Router

router = Router()

SALES_ORDER = Spec("订单 客户张三: 可乐 2", PRICE | {"客户", "仓库"})
PURCHASE_ORDER = Spec("采购 供应商可口可乐: 可乐 48 @2.1", PRICE | {"供应商", "仓库"})
ORDER_NUMBER = re.compile(r"(DD|CG)-\d{8}-\d{4,}", re.IGNORECASE)
PERIODS = ("今天", "昨天", "本周", "本月")
LIST_EXAMPLE = "订单 今天 客户 张三"
ALL_REMAINING = "全部"
END = "结束"


def order_number(args: str, prefix: str, example: str) -> str:
    text = normalize(args).upper()
    if not ORDER_NUMBER.fullmatch(text) or not text.startswith(prefix):
        raise InvalidInput(f"请写订单号，例如：{example}")
    return text


@router.command("订单", "order", roles=STAFF)
async def sales_order(ctx: Context, args: str) -> Reply:
    """下单，占用库存不出库。例：订单 客户张三: 可乐 2"""
    text = normalize(args)
    if ORDER_NUMBER.fullmatch(text):
        return await _detail(ctx, text)
    if ":" not in text and _is_listing(text.split()[0] if text else ""):
        return await _list(ctx, text)
    request = parse_request(args, SALES_ORDER)
    lines = await items.ledger_lines(ctx, request, SALES_ORDER.example)
    return await _create(
        ctx, SALES, request.options.get("仓库"), request.options.get("客户"), lines
    )


@router.command("采购", "po", roles=SUPPLY)
async def purchase_order(ctx: Context, args: str) -> Reply:
    """采购订单。例：采购 供应商甲: 可乐 48"""
    text = normalize(args)
    if ORDER_NUMBER.fullmatch(text):
        return await _detail(ctx, text)
    request = parse_request(args, PURCHASE_ORDER)
    lines = await items.ledger_lines(ctx, request, PURCHASE_ORDER.example)
    supplier = request.options.get("供应商")
    return await _create(ctx, PURCHASE, request.options.get("仓库"), supplier, lines)


async def _create(
    ctx: Context, kind: str, warehouse: str | None, partner: str | None, lines: tuple[Line, ...]
) -> Reply:
    command = NewOrder(
        kind=kind,
        warehouse=warehouse or ctx.warehouse,
        actor=ctx.user.userid,
        partner=partner,
        lines=lines,
        idempotency_key=ctx.key(),
    )
    return ctx.render("orders/created.j2", order=await orders.create_order(ctx.uow, command))


async def _detail(ctx: Context, number: str) -> Reply:
    order = await orders.order_view(ctx.uow, number)
    visible = ctx.visible_warehouses
    if visible is not None and order.warehouse not in visible:
        raise InvalidInput(f"订单 {order.number} 属于仓库 {order.warehouse}，你没有权限查看")
    done_word = "已发" if order.kind == SALES else "已收"
    author = await ctx.name_of(order.created_by)
    return ctx.render("orders/detail.j2", order=order, done_word=done_word, author=author)


def _is_listing(first: str) -> bool:
    """``订单``, ``订单 今天``, ``订单 2026-12-01``, ``订单 客户 张三`` list; the rest orders."""
    return not first or first in PERIODS or first[:1].isdigit() or first.startswith("客户")


async def _list(ctx: Context, text: str) -> Reply:
    found, rest = split_options(text.split(), frozenset({"客户"}), LIST_EXAMPLE)
    if len(rest) > 1:
        raise InvalidInput(f"看不懂“{' '.join(rest)}”，例如：{LIST_EXAMPLE}")
    period = rest[0] if rest else ""
    since = until = None
    customer = found.get("客户")
    title = "未完成的订单" + (f"（客户 {customer}）" if customer else "")
    if period:
        first, last = doc_filters.period_days(period, ctx.uow.today())
        since = datetime.combine(first, time(), ctx.uow.tz)
        until = datetime.combine(last, time(), ctx.uow.tz)
        title = f"{period}的订单" + (f"（客户 {customer}）" if customer else "")
    listed = await orders.list_orders(
        ctx.uow, ctx.visible_warehouses, since, until, open_only=not period, partner=customer
    )
    return ctx.render("orders/list.j2", orders=listed, title=title)


@router.command("取消订单", "cancelorder", roles=STAFF)
async def cancel_order(ctx: Context, args: str) -> Reply:
    """释放占用。例：取消订单 DD-20261201-0001"""
    text = normalize(args).upper()
    if not ORDER_NUMBER.fullmatch(text):
        raise InvalidInput("请写订单号，例如：取消订单 DD-20261201-0001")
    order = await orders.cancel_order(ctx.uow, text, ctx.user.userid)
    return ctx.render("orders/cancelled.j2", order=order)


@router.command("拣货", "pick", roles=STAFF)
async def pick(ctx: Context, args: str) -> Reply:
    """扫码拣货。例：拣货 DD-20261201-0001"""
    if normalize(args) == END:
        return await end_session(ctx)
    number = order_number(args, "DD", "拣货 DD-20261201-0001")
    return await _start(ctx, number, PICK)


@router.command("收货", "checkin", roles=STAFF)
async def check_in(ctx: Context, args: str) -> Reply:
    """扫码收货。例：收货 CG-20261201-0001"""
    if normalize(args) == END:
        return await end_session(ctx)
    number = order_number(args, "CG", "收货 CG-20261201-0001")
    return await _start(ctx, number, RECEIVE)


async def _start(ctx: Context, number: str, mode: str) -> Reply:
    started = await orders.start(ctx.uow, ctx.user.userid, number, mode)
    others = [await ctx.name_of(u) for u in started.others]
    return ctx.render(
        "orders/session_started.j2",
        mode=mode,
        order=started.order,
        suggestions=started.suggestions,
        others=others,
        minutes=ctx.uow.settings.scan_session_idle_minutes,
    )


async def end_session(ctx: Context) -> Reply:
    view = await orders.end_session(ctx.uow, ctx.user.userid)
    return ctx.render("orders/pick_ended.j2", session=view)


@router.command("发货", "ship", roles=STAFF)
async def ship(ctx: Context, args: str) -> Reply:
    """发出已拣的货。例：发货 DD-20261201-0001"""
    words = normalize(args).split()
    unscanned = len(words) == 2 and words[1] == ALL_REMAINING
    number = order_number(words[0] if words else "", "DD", "发货 DD-20261201-0001")
    if len(words) > 2 or (len(words) == 2 and not unscanned):
        raise InvalidInput(f"看不懂“{' '.join(words[1:])}”，例如：发货 {number} 全部")
    fulfilled = await orders.ship(
        ctx.uow,
        ctx.user.userid,
        number,
        ctx.key(),
        unscanned=unscanned,
        may_skip_scan=ctx.user.is_approver,
    )
    return await _fulfilled(ctx, fulfilled, "orders/shipped.j2")


async def receive_order(ctx: Context, number: str) -> Reply:
    """``入库 CG-…``: post the receipt of what was scanned against the purchase order."""
    fulfilled = await orders.receive(ctx.uow, ctx.user.userid, number, ctx.key())
    return await _fulfilled(ctx, fulfilled, "orders/received.j2")


async def _fulfilled(ctx: Context, fulfilled: orders.Fulfilled, template: str) -> Reply:
    result = fulfilled.result
    if not isinstance(result, Posted):
        waiting = await posting.approval_requested(ctx, result.approval)
        summary = ctx.render(template, order=fulfilled.order, posted=False)
        return Reply(f"{waiting.text}\n{summary.text}")
    return ctx.render(
        template,
        order=fulfilled.order,
        posted=True,
        document=result.document,
        balances=result.balances,
        owed=await posting.owed_after(ctx, result.document),
    )


@router.command("盘点任务", "tasks", roles=SHOP)
async def count_tasks(ctx: Context, args: str) -> Reply:
    """要盘的品类。例：盘点任务"""
    await orders.plan_tasks(ctx.uow, ctx.warehouse)
    tasks = await orders.open_tasks(ctx.uow, ctx.warehouse)
    return ctx.render("orders/tasks.j2", tasks=tasks, warehouse=ctx.warehouse)


async def count_by_scan(ctx: Context, args: str) -> Reply | None:
    """``盘点 饮料`` opens a count session, ``盘点 完成`` posts it; None: not such a request."""
    text = normalize(args)
    if text == "完成":
        done = await orders.finish_count(ctx.uow, ctx.user.userid, ctx.key())
        return await _count_done(ctx, done)
    if not text or " " in text or any(ch.isdigit() for ch in text):
        return None
    if not await orders.category_exists(ctx.uow, text):
        return None
    task = await orders.start_count(ctx.uow, ctx.user.userid, ctx.warehouse, text)
    return ctx.render("orders/count_started.j2", task=task)


async def _count_done(ctx: Context, done: orders.CountDone) -> Reply:
    result = done.result
    if isinstance(result, Posted):
        return ctx.render(
            "orders/count_done.j2",
            task=done.task,
            number=result.document.number,
            posted=True,
            document=result.document,
            balances=result.balances,
            missing=done.missing,
        )
    waiting = await posting.approval_requested(ctx, result.approval)
    number = done.task.document_number or ""
    summary = ctx.render(
        "orders/count_done.j2", task=done.task, number=number, posted=False, missing=done.missing
    )
    return Reply(f"{summary.text}\n{waiting.text}")


@router.command("条码", "barcode", roles=APPROVERS)
async def add_barcode(ctx: Context, args: str) -> Reply:
    """登记条码。例：条码 可乐 6901234567014 12"""
    words = normalize(args).split()
    example = "条码 可乐 6901234567014 12"
    if len(words) < 2:
        raise InvalidInput(f"请写商品和条码，例如：{example}")
    scale = None
    if len(words) >= 3 and words[1] == "称重":
        scale = "price" if len(words) == 4 and words[3] == "按金额" else "weight"
        name, code, pack = words[0], words[2], Decimal(1)
    else:
        name, code = words[0], words[1]
        pack = parse_number(words[2], "每包数量", example) if len(words) == 3 else Decimal(1)
    item = await items.resolve(ctx, name)
    await orders.add_barcode(ctx.uow, ctx.user.userid, item.sku, code, pack, scale=scale)
    return ctx.render("orders/barcode_added.j2", item=item, code=code, pack_qty=pack, scale=scale)
