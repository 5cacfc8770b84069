"""The issue anomaly rule end to end: a simulated kitchen (dishes with recipes, kit sales that
backflush or, where the kitchen works by issue, move no stock; issues to 厨房 by the cook on
duty) posted through the ledger, the hourly rule replayed on a frozen clock, the alert read back
from the outbox.

A fifth of the simulator's traffic and windows to match (a week of baseline, five watched
days) keep it to seconds; whole 90-day kitchens run in memory in
``tests/unit/test_issue_detection.py`` and ``tests.support.anomaly_eval``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core import catalog, importer, ledger, recipes
from core.ledger import Line, Receive
from core.recipes import KitchenMove, bom_import
from core.storage import SHANGHAI, UnitOfWork
from notifications.settings import AlertSettings, IssueSettings
from tests.support.alerts import outbox, rule
from tests.support.kitchen_simulator import KitchenHistory, catalogue_rows, simulate_kitchen
from tests.support.ledger import run, seed_shop
from tests.support.recipes import write_csv

SHORT = AlertSettings(issues=IssueSettings(baseline_days=7, watch_days=5, learning_days=5))


async def post_kitchen(
    uow: UnitOfWork, history: KitchenHistory, folder: Path, kit_consumption: str = "backflush"
) -> None:
    await seed_shop(uow)
    await run(
        uow,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", kit_consumption=kit_consumption),
    )
    items, bom = catalogue_rows()
    header = ("sku", "name", "unit", "price", "cost", "shelf_life_days", "kind")
    items_csv = write_csv(folder / "kitchen_items.csv", header, items)
    await run(uow, lambda u: importer.import_items(u, items_csv, "test"))
    bom_csv = write_csv(folder / "kitchen_bom.csv", ("product_sku", "component_sku", "qty",
                                                    "scrap_pct"), bom)  # fmt: skip
    first = history.moves[0].at - timedelta(days=1)
    await run(uow, lambda u: bom_import.import_bom(u, bom_csv, "test", first))

    async def write(u: UnitOfWork) -> None:
        ingredients = tuple(Line(row[0], Decimal(1000)) for row in items if row[6] == "stock")
        await ledger.submit(
            u,
            Receive(warehouse="MAIN", actor="boss", lines=ingredients, posted_at=first),
            enforce_policy=False,
        )
        for command in history.commands():
            await ledger.submit(u, command, enforce_policy=False)

    await run(uow, write)


@pytest.mark.parametrize("kit_consumption", ["backflush", "issue"])
async def test_the_rule_names_the_cook_who_issues_more_than_the_dishes_used(
    uow: UnitOfWork, tmp_path: Path, kit_consumption: str
) -> None:
    full = simulate_kitchen(3, share=0.05, scale=0.2, first_fraud_day=12)
    started = full.fraud_started_at
    assert started is not None and full.fraud is not None
    history = full.between(started - timedelta(days=9), started + timedelta(days=4))
    await post_kitchen(uow, history, tmp_path, kit_consumption)
    issued = sorted({m.at for m in history.moves if m.doc_type == "issue" and m.at >= started})
    first: datetime | None = None
    for at in issued:
        report = await rule(uow, "issue-anomaly", at + timedelta(minutes=5), SHORT)
        if report.alerted:
            assert report.alerted == [f"issuer:MAIN:{full.fraud.cook}"]
            first = at
            break
    assert first is not None, "the cook was never named"
    assert full.fraud_days_before(first + timedelta(minutes=5)) <= 3
    (sent,) = await outbox(uow, "issue-anomaly")
    assert sent.target == "audit|boss|mgr1"
    assert f"{full.fraud.cook}（{full.fraud.cook}），MAIN" in sent.text
    assert "一致的信号：高于本人以往" in sent.text
    fraud = [m for m in history.moves if m.document in full.fraud_issues and m.at <= first]
    latest = fraud[-1]
    assert latest.document in sent.text
    assert latest.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") in sent.text
    assert "领用到厨房" in sent.text and "按配方用" in sent.text
    # The same evidence an hour later is not told again.
    again = await rule(uow, "issue-anomaly", first + timedelta(hours=1), SHORT)
    assert again.alerted == []


async def test_a_kitchen_working_by_issue_is_explained_by_its_dishes_recipes_and_left_alone(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    full = simulate_kitchen(5, fraud=False, scale=0.2)
    since = full.moves[0].at + timedelta(days=20)
    history = full.between(since, since + timedelta(days=13))
    await post_kitchen(uow, history, tmp_path, "issue")
    until = max(m.at for m in history.moves) + timedelta(minutes=1)
    facts = await run(uow, lambda u: recipes.kitchen_moves(u, since, until))

    # The dishes sold moved no stock, yet each used its recipe's parts, as backflushed ones.
    def used(moves: list[KitchenMove]) -> list[tuple[object, ...]]:
        return sorted(
            (m.document, m.doc_type, m.at, m.sku, m.qty, m.sales_value, m.actor)
            for m in moves
            if m.doc_type == "sale"
        )

    assert used(facts) == used(history.moves) != []
    issued = sorted({m.at for m in history.moves if m.doc_type == "issue"})
    for at in issued[14:]:
        report = await rule(uow, "issue-anomaly", at + timedelta(minutes=5), SHORT)
        assert report.found == [], at
    assert await outbox(uow, "issue-anomaly") == []
