"""Receivables and payables on a known history (tests/support/money.py): opened by posted
partner documents, offset by returns, allocated oldest first, aged, stated, and verified.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core import audit, ledger, money
from core.common import InvalidInput, NotFound
from core.ledger import Line, Receive, Sell
from core.money import SETTLEMENT_PAGE as PAGE
from core.money.tables import Allocation, PartnerItem
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop
from tests.support.money import build_history, import_partners_and_prices, pay

D = Decimal


@pytest.fixture
async def history(uow: UnitOfWork, clock: ManualClock, tmp_path: Path) -> dict[str, str]:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    return await build_history(uow, clock, tmp_path)


async def open_amounts(uow: UnitOfWork) -> dict[str, Decimal]:
    async def read(u: UnitOfWork) -> dict[str, Decimal]:
        rows = await u.session.execute(select(PartnerItem.number, PartnerItem.open_amount))
        return {number: amount for number, amount in rows.all()}

    return await run(uow, read)


async def test_documents_open_items_and_payments_settle_the_oldest_first(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    opened = await open_amounts(uow)
    assert opened[history["XS-A"]] == 0
    assert opened[history["XS-B"]] == D("6.00")
    assert opened[history["XS-C"]] == D("274.40")  # 280.00 less the 5.60 return
    assert opened[history["XS-D"]] == D("14.00")
    assert opened[history["XT"]] == 0 and opened[history["SK"]] == 0
    assert opened[history["RK1"]] == 0
    assert opened[history["RK2"]] == D("74.00")  # 105 − 10 (FK) − 21 (CT)

    async def allocations(u: UnitOfWork) -> list[tuple[Decimal]]:
        return [(a,) for (a,) in (await u.session.execute(select(Allocation.amount))).all()]

    assert sorted(a for (a,) in await run(uow, allocations)) == sorted(
        [D("5.60"), D("46.00"), D("54.00"), D("440.00"), D("10.00"), D("21.00")]
    )


async def test_ageing_puts_each_open_amount_in_its_bucket(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    receivable = await run(uow, lambda u: money.ageing(u, "ar"))
    assert [(r.name, r.balance) for r in receivable.rows] == [
        ("张三", D("280.40")),
        ("李四", D("14.00")),
    ]
    zhang = receivable.rows[0]
    assert zhang.buckets == (D(0), D("274.40"), D("6.00"), D(0))
    assert zhang.overdue == D("280.40")  # XS-B due 10-20, XS-C due 11-14
    assert receivable.rows[1].buckets == (D("14.00"), D(0), D(0), D(0))
    assert receivable.total == D("294.40")
    payable = await run(uow, lambda u: money.ageing(u, "ap"))
    assert [(r.name, r.balance, r.buckets[3]) for r in payable.rows] == [
        ("可口可乐", D("74.00"), D("74.00"))
    ]


async def test_statement_runs_the_balance_from_the_opening(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    view = await run(
        uow, lambda u: money.statement(u, "张三", "ar", date(2026, 11, 1), date(2026, 11, 27))
    )
    assert view.opening == D("386.00")  # 46 + 60 + 280
    assert [(r.number, r.amount, r.balance) for r in view.rows] == [
        (history["XT"], D("-5.60"), D("380.40")),
        (history["SK"], D("-100.00"), D("280.40")),
    ]
    assert view.closing == D("280.40")
    whole = await run(
        uow, lambda u: money.statement(u, "C001", "ar", date(2026, 8, 1), date(2026, 11, 27))
    )
    assert whole.opening == 0 and [r.number for r in whole.rows][:3] == [
        history["XS-A"],
        history["XS-B"],
        history["XS-C"],
    ]


async def test_partner_card_shows_contact_balance_overdue_and_last_documents(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    card = await run(uow, lambda u: money.partner_card(u, "张三", "customer"))
    assert (card.code, card.phone, card.credit_limit, card.price_list) == (
        "C001",
        "13800000001",
        D(1000),
        "批发",
    )
    assert [(s.side, s.balance, s.overdue) for s in card.sides] == [
        ("ar", D("280.40"), D("280.40"))
    ]
    assert [r.number for r in card.recent][:2] == [history["SK"], history["XT"]]


async def test_payment_naming_a_document_settles_it_first(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    number = await pay(uow, "ar", "张三", "10", "现金", document=history["XS-C"])
    opened = await open_amounts(uow)
    assert opened[history["XS-C"]] == D("264.40") and opened[history["XS-B"]] == D("6.00")
    assert opened[number] == 0


async def test_overpayment_is_refused_unless_kept_as_an_advance_which_the_next_sale_uses(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    with pytest.raises(money.AdvanceOffer) as offer:
        await pay(uow, "ar", "李四", "20", "微信")
    assert "多出 ¥6.00" in offer.value.message and "李四 20 微信 预收" in offer.value.message
    assert (await open_amounts(uow))[history["XS-D"]] == D("14.00")
    number = await pay(uow, "ar", "李四", "20", "微信", keep_advance=True)
    assert (await open_amounts(uow))[number] == D("-6.00")
    card = await run(uow, lambda u: money.partner_card(u, "李四", "customer"))
    assert (card.sides[0].balance, card.sides[0].advance) == (D("-6.00"), D("6.00"))


async def test_bad_payments_change_nothing(uow: UnitOfWork, history: dict[str, str]) -> None:
    before = await open_amounts(uow)
    with pytest.raises(NotFound, match="没有名为“王五”的客户"):
        await pay(uow, "ar", "王五", "10", "现金")
    with pytest.raises(InvalidInput, match="金额必须大于 0"):
        await pay(uow, "ar", "张三", "-5", "现金")
    with pytest.raises(InvalidInput, match="不是张三未结清的单据"):
        await pay(uow, "ar", "张三", "5", "现金", document=history["XS-A"])
    with pytest.raises(NotFound):  # a customer is not a supplier
        await pay(uow, "ap", "张三", "5", "现金")
    assert await open_amounts(uow) == before


async def test_audit_verify_passes_and_catches_an_edited_payment(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    assert await run(uow, audit.first_problem) is None

    async def tamper(u: UnitOfWork) -> None:
        await u.session.execute(
            text("UPDATE payments SET amount = 2000000 WHERE number = :n"), {"n": history["SK"]}
        )

    await run(uow, tamper)
    problem = await run(uow, audit.first_problem)
    assert problem is not None and problem.table == "partners"
    assert "张三 ar balance 280.4000 != documents − payments 180.4000" in problem.detail


async def test_audit_verify_catches_an_edited_allocation(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    async def tamper(u: UnitOfWork) -> None:
        await u.session.execute(text("UPDATE allocations SET amount = 400000 WHERE id = 1"))

    await run(uow, tamper)
    problem = await run(uow, audit.first_problem)
    assert problem is not None and problem.table == "partner_items"


async def test_a_payment_settles_more_open_documents_than_one_page(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    restock = Receive(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", D(PAGE + 20)),))
    await run(uow, lambda u: ledger.submit(u, restock))
    sale = Sell(warehouse="MAIN", actor="clerk1", partner="李四", lines=(Line("COKE", D(1)),))
    for _ in range(PAGE + 20):
        await run(uow, lambda u: ledger.submit(u, sale))
    await pay(uow, "ar", "李四", str(14 + (PAGE + 20) * D("3.5")), "转账")
    card = await run(uow, lambda u: money.partner_card(u, "李四", "customer"))
    assert card.sides[0].balance == 0
    assert await run(uow, audit.first_problem) is None
