"""A wholesaler's known history: partners, a price list, sales, returns and payments over
four months, with every total worked out by hand in the docstring of ``build_history``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from core import ledger, money
from core.common import Posted
from core.ledger import Line, Receive, ReturnPurchase, ReturnSale, Sell, WriteOff
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run

PARTNERS_CSV = (
    "code,name,kind,phone,contact,credit_limit,payment_terms_days,price_list\n"
    "C001,张三,customer,13800000001,张三,1000,30,批发\n"
    "C002,李四,customer,,,,0,\n"
    "S001,可口可乐,supplier,02088888888,王经理,,30,\n"
)
PRICES_CSV = "price_list,sku,price,min_qty\n批发,COKE,3.0,\n批发,COKE,2.8,100\n批发,SPRITE,3.2,\n"


def at(month: int, day: int) -> datetime:
    """10:00 shop time on that day of 2026."""
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


async def import_partners_and_prices(uow: UnitOfWork, tmp_path: Path) -> None:
    (tmp_path / "partners.csv").write_text(PARTNERS_CSV, encoding="utf-8")
    (tmp_path / "prices.csv").write_text(PRICES_CSV, encoding="utf-8")
    await run(uow, lambda u: money.import_partners(u, tmp_path / "partners.csv", "cli"))
    await run(uow, lambda u: money.import_prices(u, tmp_path / "prices.csv", "cli"))


async def post(uow: UnitOfWork, command: object) -> str:
    result = await run(uow, lambda u: ledger.submit(u, command))  # type: ignore[arg-type]
    assert isinstance(result, Posted), result
    return result.document.number


async def build_history(uow: UnitOfWork, clock: ManualClock, tmp_path: Path) -> dict[str, str]:
    """The history, numbers by name. Hand-computed (today 2026-11-26):

    08-01 RK1 可口可乐 COKE 200 @2.2 = 440.00; RK2 SPRITE 50 @2.1 = 105.00
          XS-A 张三 COKE 10 @3.0 (批发) + SPRITE 5 @3.2 = 46.00     age 117 → >90
    09-20 XS-B 张三 COKE 20 @3.0 = 60.00                              age 67 → 61–90
    10-15 XS-C 张三 COKE 100 @2.8 (批发, 100 起) = 280.00             age 42 → 31–60
    11-20 XS-D 李四 COKE 4 @3.5 (item price) = 14.00                  age 6 → 0–30
    11-26 XT 张三 COKE 2 原单 XS-C @2.8 = −5.60 → XS-C open 274.40
          SK 张三 100 → XS-A 46.00, XS-B 54.00 → XS-B open 6.00
          FK 可口可乐 450 → RK1 440.00, RK2 10.00; CT SPRITE 10 @2.1 = −21.00 → RK2 open 74.00
          BS COKE 1 (write-off at batch cost 2.2)
    张三 owes 280.40 (61–90 6.00, 31–60 274.40), all overdue (30-day terms); 李四 14.00.
    """
    numbers: dict[str, str] = {}
    clock.now = at(8, 1)
    supplier = {"warehouse": "MAIN", "actor": "mgr1", "partner": "可口可乐"}
    numbers["RK1"] = await post(
        uow, Receive(**supplier, lines=(Line("COKE", Decimal(200), Decimal("2.2")),))
    )
    numbers["RK2"] = await post(
        uow, Receive(**supplier, lines=(Line("SPRITE", Decimal(50), Decimal("2.1")),))
    )
    customer = {"warehouse": "MAIN", "actor": "clerk1", "partner": "张三"}
    numbers["XS-A"] = await post(
        uow, Sell(**customer, lines=(Line("COKE", Decimal(10)), Line("SPRITE", Decimal(5))))
    )
    clock.now = at(9, 20)
    numbers["XS-B"] = await post(uow, Sell(**customer, lines=(Line("COKE", Decimal(20)),)))
    clock.now = at(10, 15)
    numbers["XS-C"] = await post(uow, Sell(**customer, lines=(Line("COKE", Decimal(100)),)))
    clock.now = at(11, 20)
    li = {**customer, "partner": "李四"}
    numbers["XS-D"] = await post(uow, Sell(**li, lines=(Line("COKE", Decimal(4)),)))
    clock.now = at(11, 26)
    numbers["XT"] = await post(
        uow,
        ReturnSale(
            warehouse="MAIN",
            actor="mgr1",
            lines=(Line("COKE", Decimal(2)),),
            original_number=numbers["XS-C"],
        ),
    )
    numbers["SK"] = await pay(uow, "ar", "张三", "100", "微信")
    numbers["FK"] = await pay(uow, "ap", "可口可乐", "450", "转账")
    numbers["CT"] = await post(
        uow, ReturnPurchase(**supplier, lines=(Line("SPRITE", Decimal(10), Decimal("2.1")),))
    )
    numbers["BS"] = await post(
        uow, WriteOff(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", Decimal(1)),))
    )
    return numbers


async def pay(
    uow: UnitOfWork, side: str, partner: str, amount: str, method: str, **extra: object
) -> str:
    actor = "clerk1" if side == "ar" else "mgr1"
    command = money.RecordPayment(
        side=side,
        partner=partner,
        amount=Decimal(amount),
        method=method,
        actor=actor,
        warehouse="MAIN",
        **extra,  # type: ignore[arg-type]
    )
    view = await run(uow, lambda u: money.record_payment(u, command))
    return view.number
