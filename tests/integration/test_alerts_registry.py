"""One registry entry per rule decides its schedule, its template and who receives it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from core import catalog
from core.catalog import WarehouseView
from core.ledger import Line, Receive
from core.storage import UnitOfWork
from notifications.recipients import Target
from notifications.registry import RULES
from notifications.scheduler import DEFAULT_SCHEDULES, END_SCAN_SESSIONS, EXPIRE_APPROVALS
from tests.support.alerts import cards, post, rule
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop

TEMPLATES = Path(__file__).resolve().parents[2] / "notifications" / "templates"


def test_every_rule_names_a_template_that_exists() -> None:
    missing = [r.name for r in RULES.values() if not (TEMPLATES / r.template).is_file()]
    assert missing == []


def test_the_schedule_is_the_registry_plus_the_two_sweeps_and_nothing_else() -> None:
    assert set(DEFAULT_SCHEDULES) == set(RULES) | {EXPIRE_APPROVALS, END_SCAN_SESSIONS}
    assert all(DEFAULT_SCHEDULES[name] == r.schedule for name, r in RULES.items())


async def test_low_stock_goes_where_its_entry_routes_it(
    uow: UnitOfWork, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_shop(uow)
    await post(uow, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(1)),)))
    monkeypatch.setitem(RULES, "low-stock", replace(RULES["low-stock"], recipients=_nobody_but))
    await rule(uow, "low-stock", clock.now)

    # No group among them: the entry's users get the card (beside the buyers it must reach).
    [card] = await cards(uow, "low-stock")
    assert card.channel == "user" and "audit" in card.target.split("|")


async def test_the_entry_template_is_the_one_rendered(
    uow: UnitOfWork, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_shop(uow)
    await post(uow, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(1)),)))
    await run(uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", group_chat_id="G1"))
    entry = replace(RULES["low-stock"], template="low_stock_by_registry.j2")
    monkeypatch.setitem(RULES, "low-stock", entry)
    with pytest.raises(TemplateNotFound, match=r"low_stock_by_registry\.j2"):
        await rule(uow, "low-stock", clock.now)


async def _nobody_but(uow: UnitOfWork, warehouse: WarehouseView) -> list[Target]:
    return [Target("user", "audit")]
