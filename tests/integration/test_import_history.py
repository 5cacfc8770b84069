"""Migrating three months of an old system's history through ``jxc import documents``."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from core import audit, importer, ledger
from core.storage import Document, UnitOfWork
from tests.support.ledger import run, seed_shop

HEADER = ["doc_no", "type", "posted_at", "warehouse", "user", "partner"]
HEADER += ["sku", "qty", "price", "lot", "expiry"]
SKUS = ("COKE", "SPRITE", "MILK", "MILK2")
SIGN = {"receipt": 1, "sale": -1, "sales_return": 1, "purchase_return": -1, "writeoff": -1}


def write_history(path: Path, days: int, per_day: int, seed: int) -> dict[tuple[str, str], Decimal]:
    """A random but plausible history, and the balances it must leave."""
    rng = random.Random(seed)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    start = datetime(2026, 8, 1, 8, 0)
    rows = []
    for day in range(days):
        for n in range(per_day):
            doc_no = f"H{day:03d}{n:03d}"
            at = start + timedelta(days=day, minutes=10 * n)
            kind = (
                "receipt"
                if n % 10 == 0
                else rng.choice(
                    ["sale"] * 12 + ["sales_return", "purchase_return", "writeoff", "transfer"]
                )
            )
            for sku in rng.sample(SKUS, rng.randint(1, 2)):
                qty = rng.randint(40, 80) if kind == "receipt" else rng.randint(1, 4)
                if kind == "sale" and rng.random() < 0.03:
                    qty = -qty
                base = [doc_no, kind, at.isoformat(), "MAIN", f"clerk{n % 3}", "", sku]
                if kind == "transfer":
                    rows.append([*base[:3], "MAIN", *base[4:], str(-qty), "", "", ""])
                    rows.append([*base[:3], "B1", *base[4:], str(qty), "", "", ""])
                    expected[(sku, "MAIN")] -= qty
                    expected[(sku, "B1")] += qty
                    continue
                rows.append([*base, str(qty), "3.5", "", ""])
                expected[(sku, "MAIN")] += SIGN[kind] * qty
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return expected


async def test_three_months_of_history_import_to_the_expected_balances(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    await seed_shop(uow)
    path = tmp_path / "history.csv"
    expected = write_history(path, days=92, per_day=30, seed=7)
    count = await run(uow, lambda u: importer.import_documents(u, path, "admin"))
    assert count == 92 * 30
    for (sku, warehouse), qty in expected.items():
        stock = await run(uow, lambda u, s=sku, w=warehouse: ledger.stock_of(u, s, w))
        assert stock.on_hand == qty, (sku, warehouse)
    assert await run(uow, audit.first_problem) is None


async def test_a_bad_row_anywhere_imports_nothing(uow: UnitOfWork, tmp_path: Path) -> None:
    await seed_shop(uow)
    path = tmp_path / "history.csv"
    write_history(path, days=3, per_day=10, seed=1)
    bad_line = len(path.read_text(encoding="utf-8").splitlines()) + 1
    with path.open("a", encoding="utf-8") as handle:
        handle.write("BAD1,sale,not-a-date,MAIN,clerk0,,COKE,1,,,\n")
        handle.write("BAD2,teleport,2026-08-02T10:00:00,MAIN,clerk0,,NOPE,1,,,\n")
    try:
        await run(uow, lambda u: importer.import_documents(u, path, "admin"))
    except importer.ImportFailed as failed:
        text = "\n".join(failed.errors)
    else:
        raise AssertionError("import of a bad file succeeded")
    assert f"第 {bad_line} 行 posted_at" in text
    assert f"第 {bad_line + 1} 行" in text and "teleport" in text and "NOPE" in text
    documents = await run(uow, lambda u: u.session.scalar(select(func.count(Document.id))))
    assert documents == 0
