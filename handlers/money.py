"""The money side by chat: partners, payments, receivables and payables, margin, deals."""

from __future__ import annotations

import re
from decimal import Decimal

from core import money
from core.common import InvalidInput, NotFound, Role
from core.money import ADVANCE_NAMES, PAYMENT_NAMES, SIDE_NAMES, PartnerFields
from handlers import items
from handlers.doc_filters import period_days
from handlers.grammar import PRICE, Spec, normalize, parse_number, parse_request, split_options
from handlers.router import ANY, APPROVERS, STAFF, Context, Reply, Router

# Thousands separators, as core.common.money writes an amount.
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")

router = Router()

AUDITOR = frozenset({Role.AUDITOR})
COLLECTORS = frozenset({Role.CLERK, Role.MANAGER, Role.ADMIN})
PAYERS = frozenset({Role.PURCHASER, Role.MANAGER, Role.ADMIN})
OVERSEERS = APPROVERS | AUDITOR
PARTNER_WORDS = frozenset({"电话", "联系人", "额度", "账期", "价目", "编码"})
PAYMENT_WORDS = frozenset({"单号", "仓库"})
BY = {"商品": "item", "类别": "category", "客户": "customer", "店员": "clerk"}
BROKER = Spec(
    "撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4100", PRICE | {"客户", "供应商", "进价", "仓库"}
)
PERIOD_WORDS = ("今天", "昨天", "本周", "本月")


async def hidden_in_help(ctx: Context) -> frozenset[str]:
    """撮合 is listed only where some warehouse keeps no stock; elsewhere it is refused."""
    return frozenset() if await money.brokers_anywhere(ctx.uow) else frozenset({"撮合"})


@router.command("新客户", "newcustomer", roles=APPROVERS)
async def new_customer(ctx: Context, args: str) -> Reply:
    """登记客户。例：新客户 张三 电话 13800000000 额度 5000"""
    return await _add_partner(ctx, args, "customer", "新客户 张三 电话 13800000000 额度 5000")


@router.command("新供应商", "newsupplier", roles=APPROVERS)
async def new_supplier(ctx: Context, args: str) -> Reply:
    """登记供应商。例：新供应商 可口可乐 电话 02088888888"""
    return await _add_partner(ctx, args, "supplier", "新供应商 可口可乐 电话 02088888888")


async def _add_partner(ctx: Context, args: str, kind: str, example: str) -> Reply:
    found, rest = split_options(normalize(args).split(), PARTNER_WORDS, example)
    if not rest:
        raise InvalidInput(f"缺少名称，例如：{example}")
    limit = None
    if "额度" in found:
        limit = parse_number(found["额度"].removesuffix("元"), "信用额度", example)
    terms = 0
    if "账期" in found:
        days = parse_number(found["账期"].removesuffix("天"), "账期天数", example)
        if days != days.to_integral_value():
            raise InvalidInput(f"账期天数要写整数，例如：{example}")
        terms = int(days)
    fields = PartnerFields(
        name=" ".join(rest),
        kind=kind,
        code=found.get("编码"),
        phone=found.get("电话", ""),
        contact=found.get("联系人", ""),
        credit_limit=limit,
        payment_terms_days=terms,
        price_list=found.get("价目"),
    )
    card = await money.add_partner(
        ctx.uow, ctx.user.userid, fields, is_manager=ctx.user.is_approver
    )
    return ctx.render("money/partner.j2", card=card, added=True, **_names())


@router.command("客户", "customer", roles=ANY)
async def customer(ctx: Context, args: str) -> Reply:
    """欠款、逾期和最近单据。例：客户 张三"""
    return await _show_partner(ctx, args, "customer", "客户 张三")


@router.command("供应商", "supplier", roles=ANY)
async def supplier(ctx: Context, args: str) -> Reply:
    """应付和最近单据。例：供应商 可口可乐"""
    return await _show_partner(ctx, args, "supplier", "供应商 可口可乐")


async def _show_partner(ctx: Context, args: str, kind: str, example: str) -> Reply:
    query = normalize(args)
    if not query:
        raise InvalidInput(f"请写出名称或编码，例如：{example}")
    card = await money.partner_card(ctx.uow, query, kind)
    return ctx.render("money/partner.j2", card=card, added=False, **_names())


@router.command("收款", "collect", roles=COLLECTORS)
async def collect(ctx: Context, args: str) -> Reply:
    """收款，冲最早的欠款。例：收款 张三 500 微信"""
    return await _payment(ctx, args, "ar", "收款 张三 500 微信")


@router.command("付款", "pay", roles=PAYERS)
async def pay(ctx: Context, args: str) -> Reply:
    """付款，冲最早的应付。例：付款 可口可乐 1000 转账"""
    return await _payment(ctx, args, "ap", "付款 可口可乐 1000 转账")


async def _payment(ctx: Context, args: str, side: str, example: str) -> Reply:
    found, words = split_options(normalize(args).split(), PAYMENT_WORDS, example)
    keep_advance = ADVANCE_NAMES[side] in words
    words = [w for w in words if w != ADVANCE_NAMES[side]]
    at = next((i for i, w in enumerate(words) if i and _amount_text(w)), None)
    if at is None:
        raise InvalidInput(f"缺少名称或金额，例如：{example}")
    amount = parse_number(_amount_text(words[at]), "金额", example)
    method = " ".join(words[at + 1 :]) or "现金"
    view = await money.record_payment(
        ctx.uow,
        money.RecordPayment(
            side=side,
            partner=" ".join(words[:at]),
            amount=amount,
            method=method,
            actor=ctx.user.userid,
            warehouse=found.get("仓库", ctx.warehouse),
            document=found.get("单号"),
            keep_advance=keep_advance,
            idempotency_key=ctx.key(),
        ),
    )
    owed = money.balance_words(view.side, view.balance)
    return ctx.render("money/payment.j2", payment=view, owed=owed, **_names())


def _amount_text(word: str) -> str:
    """The number in ``500``, ``¥500``, ``500元`` or ``¥1,000.00`` (as replies write it); ""
    when ``word`` is none of these."""
    text = word.lstrip("¥").removesuffix("元")
    if GROUPED.fullmatch(text):
        text = text.replace(",", "")
    digits = text.lstrip("+-")
    return text if digits and digits.replace(".", "", 1).isdigit() else ""


@router.command("应收", "receivables", roles=COLLECTORS | OVERSEERS)
async def receivables(ctx: Context, args: str) -> Reply:
    """欠款和账龄。例：应收"""
    return ctx.render("money/ageing.j2", ageing=await money.ageing(ctx.uow, "ar"), **_names())


@router.command("应付", "payables", roles=PAYERS | OVERSEERS)
async def payables(ctx: Context, args: str) -> Reply:
    """应付和账龄。例：应付"""
    return ctx.render("money/ageing.j2", ageing=await money.ageing(ctx.uow, "ap"), **_names())


@router.command("对账单", "statement", roles=ANY)
async def statement(ctx: Context, args: str) -> Reply:
    """往来明细。例：对账单 张三 本月"""
    words = normalize(args).split()
    if not words:
        raise InvalidInput("请写出客户或供应商，例如：对账单 张三 本月")
    period = "本月"
    if len(words) > 1 and (words[-1][:1].isdigit() or words[-1] in PERIOD_WORDS):
        period = words.pop()
    start, end = period_days(period, ctx.uow.today())
    name = " ".join(words)
    try:
        view = await money.statement(ctx.uow, name, "ar", start, end)
    except NotFound:
        view = await money.statement(ctx.uow, name, "ap", start, end)
    return ctx.render("money/statement.j2", statement=view, **_names())


@router.command("毛利", "margin", roles=OVERSEERS)
async def gross_margin(ctx: Context, args: str) -> Reply:
    """毛利，可按商品/类别/客户/店员。例：毛利 本月 按 商品"""
    found, words = split_options(normalize(args).split(), frozenset({"按"}), "毛利 本月 按 商品")
    if len(words) > 1:
        raise InvalidInput(f"只能写一个时间范围，看不懂“{' '.join(words)}”")
    start, end = period_days(words[0] if words else "本月", ctx.uow.today())
    by = found.get("按", "商品")
    if by not in BY:
        raise InvalidInput(f"分组“{by}”不存在，可选：{'、'.join(BY)}，例如：毛利 本月 按 客户")
    report = await money.margin(ctx.uow, start, end, BY[by])
    return ctx.render("money/margin.j2", report=report, by_name=by)


@router.command("合同", "contract", roles=ANY)
async def contract(ctx: Context, args: str) -> Reply:
    """执行情况。例：合同 HT-2026-001"""
    number = normalize(args)
    if not number:
        raise InvalidInput("请写出合同号，例如：合同 HT-2026-001")
    return ctx.render("money/contract.j2", contract=await money.contract_view(ctx.uow, number))


@router.command("撮合", "broker", roles=STAFF)
async def broker(ctx: Context, args: str) -> Reply:
    """撮合交易（无库存仓库）。例：撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4100"""
    request = parse_request(args, BROKER)
    if len(request.lines) != 1:
        raise InvalidInput(f"撮合一次只登记一种商品，例如：{BROKER.example}")
    line = request.lines[0]
    for option in ("客户", "供应商", "进价"):
        if option not in request.options:
            raise InvalidInput(f"缺少“{option}”，例如：{BROKER.example}")
    if line.price is None:
        raise InvalidInput(f"缺少售价 @…，例如：{BROKER.example}")
    item = await items.resolve(ctx, line.name)
    items.check_unit(item, line, BROKER.example)
    view = await money.broker(
        ctx.uow,
        money.Broker(
            warehouse=request.options.get("仓库", ctx.warehouse),
            actor=ctx.user.userid,
            customer=request.options["客户"],
            supplier=request.options["供应商"],
            item=item.sku,
            qty=line.qty,
            sale_price=line.price,
            purchase_price=parse_number(
                request.options["进价"].lstrip("@¥"), "进价", BROKER.example
            ),
            idempotency_key=ctx.key(),
        ),
    )
    return ctx.render("money/deal.j2", deal=view, item=item, qty=line.qty)


def _names() -> dict[str, object]:
    return {
        "side_names": SIDE_NAMES,
        "advance_names": ADVANCE_NAMES,
        "payment_names": PAYMENT_NAMES,
        "balance_words": money.balance_words,
        "zero": Decimal(0),
    }
