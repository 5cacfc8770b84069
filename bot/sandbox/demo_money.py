"""Demo data for the money side: two wholesale customers on a price list, credit sales to
them over the history, and a payment, so 应收, 对账单, 客户 and 毛利 have something to show.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from core import ledger, money
from core.ledger import Line, Sell
from core.money import PartnerFields
from core.storage import UnitOfWork, in_transaction

CUSTOMERS = [
    # code, name, phone, contact, credit limit, terms days, price list
    ("C0001", "张三便利店", "13800000001", "张三", "2000", 30, "批发"),
    ("C0002", "李四餐厅", "13900000002", "李四", "1000", 15, "批发"),
]
WHOLESALE = [("COKE", "3.0"), ("WATER", "1.6"), ("TEA", "2.6"), ("RICE", "45.0")]
# days before today, customer, lines
CREDIT_SALES = [
    (16, "张三便利店", (("WATER", 24), ("TEA", 12))),
    (9, "李四餐厅", (("RICE", 2), ("WATER", 24))),
    (2, "张三便利店", (("TEA", 12), ("WATER", 24))),
]
PAYMENT = (8, "张三便利店", Decimal(100), "微信")
OWNER = "laoban"  # registers the customers (bot/sandbox/demo_data.py)


async def seed(uow: UnitOfWork, today: date) -> None:
    await in_transaction(uow, _partners_and_prices)
    for days_ago, customer, lines in CREDIT_SALES:
        sale = Sell(
            warehouse="MAIN",
            actor="xiaowang",
            partner=customer,
            lines=tuple(Line(sku, Decimal(qty)) for sku, qty in lines),
        )
        clock = partial(_at, _moment(today, days_ago, 11), uow)
        await in_transaction(
            uow.with_clock(clock), partial(ledger.submit, cmd=sale, enforce_policy=False)
        )
    days_ago, customer, amount, method = PAYMENT
    payment = money.RecordPayment(
        side="ar",
        partner=customer,
        amount=amount,
        method=method,
        actor="xiaowang",
        warehouse="MAIN",
    )
    clock = partial(_at, _moment(today, days_ago, 15), uow)
    await in_transaction(uow.with_clock(clock), lambda u: money.record_payment(u, payment))


def _moment(today: date, days_ago: int, hour: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour))


def _at(moment: datetime, uow: UnitOfWork) -> datetime:
    return moment.replace(tzinfo=uow.tz)


async def _partners_and_prices(uow: UnitOfWork) -> None:
    for code, name, phone, contact, limit, terms, price_list in CUSTOMERS:
        fields = PartnerFields(
            name=name,
            kind="customer",
            code=code,
            phone=phone,
            contact=contact,
            credit_limit=Decimal(limit),
            payment_terms_days=terms,
            price_list=price_list,
        )
        await money.add_partner(uow, OWNER, fields, is_manager=True)
    for sku, price in WHOLESALE:
        await money.add_list_price(uow, "批发", sku, Decimal(price))
