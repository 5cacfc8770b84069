"""The sales of a bulk ledger, generated inside SQLite, and the index dance around the load.

The formulas match ``benchmarks.bulk.Plan`` and its helpers (``at``, ``number``, ``clerk``,
``item_price``, ``item_cost``): sale ``s`` is line ``s % lines_per_document + 1`` of sale
document ``receipt_documents + s // lines_per_document`` and sells one unit of batch
``(s % batches) × stride % batches``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from core.storage import SCALE

if TYPE_CHECKING:
    from benchmarks.bulk import Plan

UNIT = 10**SCALE  # Fixed columns hold value × 10⁴
CLERKS = 5
SHOP_OFFSET = 8 * 3600  # document numbers carry the shop's (Shanghai) calendar day

LOADED_TABLES = (
    "documents",
    "document_lines",
    "stock_moves",
    "stock_balances",
    "batches",
    "stock_levels",
)

# One stock level row per item and warehouse, as posting keeps them (no pending documents).
LEVELS = """
INSERT INTO stock_levels (item_id, warehouse_id, on_hand, reserved, reorder_point)
SELECT b.item_id, b.warehouse_id, SUM(b.qty), 0, i.reorder_point
FROM stock_balances b JOIN items i ON i.id = b.item_id
GROUP BY b.item_id, b.warehouse_id
"""

INSTANT = "strftime('%Y-%m-%d %H:%M:%S', :start + d * :step, 'unixepoch') || '.000000'"

SALE_DOCUMENTS = f"""
WITH RECURSIVE seq(d) AS (SELECT :first UNION ALL SELECT d + 1 FROM seq WHERE d < :last)
INSERT INTO documents (id, number, type, status, warehouse_id, created_by, created_at,
                       posted_at, note, version)
SELECT d + 1,
       printf('XS-%s-%07d', strftime('%Y%m%d', :start + d * :step + :offset, 'unixepoch'), d),
       'sale', 'posted', 1, 'clerk' || (d % :clerks), {INSTANT}, {INSTANT}, '', 1
FROM seq
"""

SALES = """
WITH RECURSIVE seq(s) AS (SELECT 0 UNION ALL SELECT s + 1 FROM seq WHERE s < :sales - 1),
sale AS (
    SELECT s, :receipts + s / :per_doc AS d,
           (s % :batches) * :stride % :batches AS y
    FROM seq
)
"""

SALE_LINES = f"""{SALES}
INSERT INTO document_lines (id, document_id, line_no, item_id, qty, price)
SELECT :batches + s + 1, d + 1, s % :per_doc + 1, y / :per_item + 1, :unit,
       (100 + (y / :per_item) % 900) * 100
FROM sale
"""

SALE_MOVES = f"""{SALES}
INSERT INTO stock_moves (id, document_id, line_id, item_id, warehouse_id, batch_id, qty,
                         unit_cost, posted_at, actor)
SELECT :batches + s + 1, d + 1, :batches + s + 1, y / :per_item + 1, 1, y + 1, -:unit,
       (100 + (y / :per_item) % 900) * 60, {INSTANT}, 'clerk' || (d % :clerks)
FROM sale
"""


def write_sales(db: sqlite3.Connection, plan: Plan) -> None:
    size = plan.size
    if size.sales == 0:
        return
    timing = {"start": plan.start, "step": plan.step, "clerks": CLERKS}
    db.execute(
        SALE_DOCUMENTS,
        {**timing, "first": size.receipt_documents, "last": size.documents - 1,
         "offset": SHOP_OFFSET},
    )  # fmt: skip
    shape = {
        "sales": size.sales,
        "receipts": size.receipt_documents,
        "per_doc": size.lines_per_document,
        "batches": size.batches,
        "stride": plan.stride,
        "per_item": size.per_item,
        "unit": UNIT,
    }
    db.execute(SALE_LINES, shape)
    db.execute(SALE_MOVES, {**shape, **timing})


def drop_indexes(db: sqlite3.Connection) -> list[str]:
    """Drop the loaded tables' secondary indexes; their ``CREATE`` statements, to rebuild.

    Building an index once from sorted keys is cheaper than updating it row by row, most of
    all for ``stock_moves (item_id, …)``, whose keys arrive in random order.
    """
    marks = ",".join("?" * len(LOADED_TABLES))
    rows = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks})",
        LOADED_TABLES,
    ).fetchall()
    for index_name, _ in rows:
        db.execute(f'DROP INDEX "{index_name}"')
    return [sql for _, sql in rows]


def recreate_indexes(db: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        db.execute(statement)
