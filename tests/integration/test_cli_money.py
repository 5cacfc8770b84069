"""The money side's CLI: partner, price and contract imports, the margin report, warehouse
modes, and ``jxc audit verify`` checking partner balances — on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_cli import DOCS_CSV, ITEMS_CSV
from tests.support.cli import jxc

PARTNERS = (
    "code,name,kind,phone,contact,credit_limit,payment_terms_days,price_list\n"
    "S001,供应商甲,supplier,021-1,王,,30,\n"
    "C001,张三,customer,138,张三,5000,30,批发\n"
)


@pytest.fixture
def ledger_db(tmp_path: Path) -> Path:
    """The CLI tests' ledger: two items and a short history with a supplier."""
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    assert jxc(tmp_path, "import", "items", write(tmp_path, "i.csv", ITEMS_CSV)).returncode == 0
    assert jxc(tmp_path, "import", "documents", write(tmp_path, "d.csv", DOCS_CSV)).returncode == 0
    return tmp_path / "jxc.db"


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path / name)


def test_imports_of_partners_prices_and_contracts(ledger_db: Path) -> None:
    folder = ledger_db.parent
    imported = jxc(folder, "import", "partners", write(folder, "p.csv", PARTNERS))
    # 供应商甲 came with the history and is now a record with a code; 张三 is new.
    assert imported.stdout.strip() == "partners: 1 created, 1 updated"
    again = jxc(folder, "import", "partners", write(folder, "p.csv", PARTNERS))
    assert again.stdout.strip() == "partners: 0 created, 2 updated"
    bad = jxc(
        folder, "import", "prices", write(folder, "x.csv", "price_list,sku,price\n批发,NOPE,1\n")
    )
    assert bad.returncode == 1 and "第 2 行：没有编码为 NOPE 的商品" in bad.stderr
    prices = "price_list,sku,price,min_qty\n批发,COKE,3.0,\n批发,COKE,2.8,100\n"
    assert jxc(folder, "import", "prices", write(folder, "pr.csv", prices)).stdout.strip() == (
        "prices: 2 imported"
    )
    contract = "contract_no,partner,start,end,amount,terms\nht-1,C001,2026-11-01,2027-10-31,900,\n"
    done = jxc(folder, "import", "contracts", write(folder, "c.csv", contract))
    assert done.stdout.strip() == "contracts: 1 imported"
    twice = jxc(folder, "import", "contracts", write(folder, "c.csv", contract))
    assert twice.returncode == 1 and "合同 HT-1 已存在" in twice.stderr


def test_margin_report_counts_the_negative_sale(ledger_db: Path) -> None:
    report = jxc(ledger_db.parent, "report", "margin", "--from", "2026-11-01", "--to", "2026-11-30")
    assert report.returncode == 0
    lines = report.stdout.splitlines()
    # OLD-2 sells 3 at 3.50, OLD-3 takes 2 back: revenue 3.50, cost 1 × 2.00 (the batch cost)
    assert lines[0] == "item\trevenue\tcost\twrite_off\tmargin\trate%"
    assert lines[1] == "可乐\t3.50\t2.00\t0.00\t1.50\t42.9"
    by_clerk = jxc(
        ledger_db.parent, "report", "margin", "--from", "2026-11-01", "--to", "2026-11-01"
    )
    assert by_clerk.stdout.splitlines()[1:] == ["合计\t0\t0\t0\t0\t-"]
    backwards = jxc(
        ledger_db.parent, "report", "margin", "--from", "2026-11-30", "--to", "2026-11-01"
    )
    assert backwards.returncode == 1


def test_warehouse_mode_is_set_only_once_its_stock_is_gone(ledger_db: Path) -> None:
    folder = ledger_db.parent
    refused = jxc(folder, "warehouses", "set", "MAIN", "--mode", "no-inventory")
    assert refused.returncode == 1 and "还有库存" in refused.stderr
    assert jxc(folder, "warehouses", "add", "TR", "--name", "贸易部").returncode == 0
    assert jxc(folder, "warehouses", "set", "TR", "--mode", "no-inventory").returncode == 0
    bad = jxc(folder, "warehouses", "set", "TR", "--price-tolerance", "lots")
    assert bad.returncode == 1


def test_audit_verify_checks_partner_balances(ledger_db: Path) -> None:
    folder = ledger_db.parent
    ok = jxc(folder, "audit", "verify")
    assert (
        ok.returncode == 0
        and "partner's balance equals its documents minus its payments" in ok.stdout
    )
    with sqlite3.connect(ledger_db) as db:
        db.execute("UPDATE partner_items SET amount = 1, open_amount = 1")
    failed = jxc(folder, "audit", "verify")
    assert failed.returncode == 1 and "FAILED: partners id=" in failed.stderr
