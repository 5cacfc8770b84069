"""Demo shop for the no-inventory preset: a grain and oil trading company that keeps no
warehouse. Two weeks of purchases, credit sales at a customer's list prices, a brokered deal,
payments both ways and an open sales order, so 应收, 应付, 对账单, 毛利 and 查 have something
to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from bot.sandbox.demo_data import PURCHASING_CHAT, STAFF, STORE_CHAT, demo_item
from core import catalog, ledger, money, orders
from core.ledger import Line, Receive, Sell
from core.money import Broker, PartnerFields, RecordPayment
from core.storage import UnitOfWork, in_transaction

# sku, name, unit, unit precision, price, cost
GOODS = [
    ("SOY", "大豆", "吨", 3, "4300", "4000"),
    ("CORN", "玉米", "吨", 3, "2500", "2300"),
    ("WHEAT", "小麦", "吨", 3, "2900", "2700"),
    ("OIL", "豆油", "桶", 0, "160", "135"),
]
# code, name, kind, phone, contact, credit limit, terms days, price list
PARTNERS = [
    ("C0001", "华丰食品厂", "customer", "13800000011", "周经理", "200000", 30, "大客户"),
    ("C0002", "城东粮店", "customer", "13900000012", "吴老板", "50000", 15, None),
    ("S0001", "北方粮贸", "supplier", "02488880001", "郑经理", None, 30, None),
    ("S0002", "金龙油脂", "supplier", "02088880002", "王经理", None, 30, None),
]
LIST_PRICES = [("大客户", "SOY", "4200"), ("大客户", "CORN", "2450")]
TRADER, BOSS = "xiaowang", "laoban"
HISTORY_DAYS = 14


async def seed(uow: UnitOfWork, today: date) -> None:
    """Fill an empty ledger; ``today`` is the shop's date (the history ends yesterday)."""
    await in_transaction(uow, _goods_partners_and_staff)
    start = today - timedelta(days=HISTORY_DAYS)
    await _past(uow, start, 9, _purchase("北方粮贸", ("SOY", "30", "4000"), ("CORN", "50", "2300")))
    await _past(uow, start + timedelta(days=2), 10, _sale("华丰食品厂", ("SOY", "10")))
    await _past(uow, start + timedelta(days=3), 14, _sale("城东粮店", ("CORN", "8")))
    await _past(
        uow, start + timedelta(days=6), 10, _sale("华丰食品厂", ("SOY", "12"), ("CORN", "20"))
    )
    deal = Broker(
        "MAIN", TRADER, "华丰食品厂", "金龙油脂", "OIL", Decimal(100), Decimal(160), Decimal(135)
    )
    await _at(uow, start + timedelta(days=8), 11, lambda u: money.broker(u, deal))
    await _at(
        uow, start + timedelta(days=10), 15, partial(_pay, "ar", "华丰食品厂", "40000", "转账")
    )
    await _at(
        uow, start + timedelta(days=11), 16, partial(_pay, "ap", "北方粮贸", "100000", "转账")
    )
    await _past(uow, today - timedelta(days=1), 10, _sale("城东粮店", ("WHEAT", "5")))
    order = orders.NewOrder(orders.SALES, "MAIN", TRADER, "华丰食品厂", (Line("SOY", Decimal(5)),))
    await in_transaction(uow, lambda u: orders.create_order(u, order))


async def _goods_partners_and_staff(uow: UnitOfWork) -> None:
    catalog.add_items(
        uow,
        (
            demo_item(sku, name, "粮油", unit, precision, price, cost, None, 0)
            for sku, name, unit, precision, price, cost in GOODS
        ),
    )
    await uow.session.flush()
    for userid, name, role in STAFF:
        await catalog.save_user(uow, "sandbox", userid, name, role, ["MAIN"])
    await catalog.configure_warehouse(
        uow,
        "sandbox",
        "MAIN",
        group_chat_id=STORE_CHAT,
        purchasing_chat_id=PURCHASING_CHAT,
        mode="no_inventory",
    )
    for code, name, kind, phone, contact, limit, terms, price_list in PARTNERS:
        fields = PartnerFields(
            name=name,
            kind=kind,
            code=code,
            phone=phone,
            contact=contact,
            credit_limit=None if limit is None else Decimal(limit),
            payment_terms_days=terms,
            price_list=price_list,
        )
        await money.add_partner(uow, BOSS, fields, is_manager=True)
    for price_list, sku, price in LIST_PRICES:
        await money.add_list_price(uow, price_list, sku, Decimal(price))


def _purchase(supplier: str, *lines: tuple[str, str, str]) -> Receive:
    return Receive(
        warehouse="MAIN",
        actor=TRADER,
        partner=supplier,
        lines=tuple(Line(sku, Decimal(qty), Decimal(price)) for sku, qty, price in lines),
    )


def _sale(customer: str, *lines: tuple[str, str]) -> Sell:
    return Sell(
        warehouse="MAIN",
        actor=TRADER,
        partner=customer,
        lines=tuple(Line(sku, Decimal(qty)) for sku, qty in lines),
    )


async def _pay(side: str, partner: str, amount: str, method: str, uow: UnitOfWork) -> object:
    payment = RecordPayment(
        side=side,
        partner=partner,
        amount=Decimal(amount),
        method=method,
        actor=BOSS,
        warehouse="MAIN",
    )
    return await money.record_payment(uow, payment)


async def _past(uow: UnitOfWork, day: date, hour: int, cmd: Receive | Sell) -> None:
    """A document of the history, posted as it happened (no approvals: it is the past)."""
    await _at(uow, day, hour, lambda u: ledger.submit(u, cmd, enforce_policy=False))


async def _at(
    uow: UnitOfWork, day: date, hour: int, work: Callable[[UnitOfWork], Awaitable[object]]
) -> None:
    moment = datetime.combine(day, time(hour), uow.tz)
    await in_transaction(uow.with_clock(partial(_fixed, moment)), work)


def _fixed(moment: datetime) -> datetime:
    return moment
