"""Demo data for the money side: two wholesale customers on a price list, credit sales to
them over the history, and a payment, so 应收, 对账单, 客户 and 毛利 have something to show.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import select

from core import ledger
from core.ledger import Line, Sell
from core.money import payments
from core.money.tables import ListPrice
from core.storage import Item, Partner, UnitOfWork, in_transaction

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
            uow.with_clock(clock), lambda u, s=sale: ledger.submit(u, s, enforce_policy=False)
        )
    days_ago, customer, amount, method = PAYMENT
    payment = payments.RecordPayment(
        side="ar",
        partner=customer,
        amount=amount,
        method=method,
        actor="xiaowang",
        warehouse="MAIN",
    )
    clock = partial(_at, _moment(today, days_ago, 15), uow)
    await in_transaction(uow.with_clock(clock), lambda u: payments.record_payment(u, payment))


def _moment(today: date, days_ago: int, hour: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour))


def _at(moment: datetime, uow: UnitOfWork) -> datetime:
    return moment.replace(tzinfo=uow.tz)


async def _partners_and_prices(uow: UnitOfWork) -> None:
    for code, name, phone, contact, limit, terms, price_list in CUSTOMERS:
        uow.session.add(
            Partner(
                code=code,
                name=name,
                kind="customer",
                phone=phone,
                contact=contact,
                credit_limit=Decimal(limit),
                payment_terms_days=terms,
                price_list=price_list,
            )
        )
    items = {i.sku: i for i in await uow.session.scalars(select(Item))}
    for sku, price in WHOLESALE:
        uow.session.add(ListPrice(price_list="批发", item_id=items[sku].id, price=Decimal(price)))
    await uow.session.flush()
