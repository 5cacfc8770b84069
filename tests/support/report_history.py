"""A known three-month history for the report tests, imported the way an operator would.

Figures the tests check against (period 2026-09-01 .. 2026-11-30, warehouse MAIN):
- 8 documents, 14 lines; sales 65 + 198 + 1.5 + 28 = ¥292.50 over 4 sale documents;
- 报损 10 盒鲜牛奶 from batch M1, expired 2026-09-20, at cost ¥4 → ¥40 (乳品);
- count C1 (10-15): 可乐 book 69 counted 68 (−1 × ¥2), 苹果 book 30 counted 28 (−2 × ¥8);
  count C2 (11-20): 可乐 book 60 counted 60: three count lines, one exact → accuracy 1/3;
- C3 sold 1 可乐 at ¥1.5, under its cost ¥2;
- 面包 never sells: 20 个 × ¥3 = ¥60 of slow stock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import jxc

ITEMS_CSV = (
    "sku,name,unit,price,cost,barcode,category,shelf_life_days,reorder_point,reorder_qty\n"
    "COKE,可乐,瓶,3.5,2,6901,饮料,,10,24\n"
    "MILK,鲜牛奶,盒,6,4,,乳品,10,5,\n"
    "APPLE,苹果,个,12.8,8,,水果,7,5,\n"
    "BREAD,面包,个,5,3,,烘焙,,2,\n"
)
HEADER = "doc_no,type,posted_at,warehouse,user,partner,sku,qty,price,lot,expiry\n"
DOCS_CSV = HEADER + (
    "R1,receipt,2026-09-01T09:00:00,MAIN,wang,供应商甲,COKE,100,2,,\n"
    "R1,receipt,2026-09-01T09:00:00,MAIN,wang,供应商甲,MILK,50,4,M1,2026-09-20\n"
    "R1,receipt,2026-09-01T09:00:00,MAIN,wang,供应商甲,APPLE,40,8,,\n"
    "R1,receipt,2026-09-01T09:00:00,MAIN,wang,供应商甲,BREAD,20,3,,\n"
    "S1,sale,2026-09-05T10:00:00,MAIN,wang,张三,COKE,10,3.5,,\n"
    "S1,sale,2026-09-05T10:00:00,MAIN,wang,张三,MILK,5,6,,\n"
    "W1,writeoff,2026-10-01T08:00:00,MAIN,li,,MILK,10,,,\n"
    "S2,sale,2026-10-10T15:00:00,MAIN,wang,,COKE,20,3.5,,\n"
    "S2,sale,2026-10-10T15:00:00,MAIN,wang,,APPLE,10,12.8,,\n"
    "S3,sale,2026-10-11T11:00:00,MAIN,zhang,,COKE,1,1.5,,\n"
    "C1,count,2026-10-15T20:00:00,MAIN,li,,COKE,68,,,\n"
    "C1,count,2026-10-15T20:00:00,MAIN,li,,APPLE,28,,,\n"
    "S4,sale,2026-11-18T12:00:00,MAIN,wang,张三,COKE,8,3.5,,\n"
    "C2,count,2026-11-20T20:00:00,MAIN,li,,COKE,60,,,\n"
)
SALES_TOTAL = "292.50"
FIRST, LAST = "2026-09-01", "2026-11-30"


def import_history(tmp_path: Path) -> Path:
    """A migrated SQLite ledger in ``tmp_path`` holding the history above."""
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    (tmp_path / "items.csv").write_text(ITEMS_CSV, encoding="utf-8")
    (tmp_path / "docs.csv").write_text(DOCS_CSV, encoding="utf-8")
    assert jxc(tmp_path, "import", "items", str(tmp_path / "items.csv")).returncode == 0
    imported = jxc(tmp_path, "import", "documents", str(tmp_path / "docs.csv"))
    assert imported.returncode == 0, imported.stderr
    return tmp_path / "jxc.db"


BULK_DOCUMENTS = """
WITH RECURSIVE seq(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM seq WHERE d < :documents)
INSERT INTO documents (id, number, type, status, warehouse_id, created_by, created_at,
                       posted_at, note, version)
SELECT 1000000 + d, 'BULK-' || d, 'sale', 'posted', 1, 'clerk' || (d % 5),
       strftime('%Y-%m-%d %H:%M:%S', 1788220800 + d * 7, 'unixepoch') || '.000000',
       strftime('%Y-%m-%d %H:%M:%S', 1788220800 + d * 7, 'unixepoch') || '.000000', '', 1
FROM seq
"""
BULK_LINES = """
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :lines - 1)
INSERT INTO document_lines (document_id, line_no, item_id, qty, price)
SELECT 1000001 + n / :per_document, n % :per_document + 1, 1 + n % 4,
       (1 + n % 7) * 10000, 35000
FROM seq
"""


def bulk_sales(db: Path, documents: int, per_document: int) -> int:
    """Add ``documents`` sales of ``per_document`` lines each from 2026-09-01 on, in SQL."""
    with sqlite3.connect(db) as connection:
        connection.execute(BULK_DOCUMENTS, {"documents": documents})
        lines = documents * per_document
        connection.execute(BULK_LINES, {"lines": lines, "per_document": per_document})
    return lines
