"""``jxc import bom|substitutes``, ``jxc departments``, ``jxc report usage`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import jxc

ITEMS = (
    "sku,name,unit,price,cost,kind\n"
    "CHICKEN,鸡肉,kg,,30,\n"
    "PEANUT,花生,kg,,12,stock\n"
    "KUNGPAO,宫保鸡丁,份,38,,kit\n"
)
BOM = "product_sku,component_sku,qty,scrap_pct\nKUNGPAO,CHICKEN,0.2,0\nKUNGPAO,PEANUT,0.05,\n"
HISTORY = (
    "doc_no,type,posted_at,warehouse,user,sku,qty,price\n"
    "H1,receipt,2026-11-23T09:00:00,MAIN,wang,CHICKEN,10,30\n"
    "H1,receipt,2026-11-23T09:00:00,MAIN,wang,PEANUT,2,12\n"
    "H2,sale,2026-11-23T12:00:00,MAIN,wang,KUNGPAO,10,38\n"
    "H3,count,2026-11-24T22:00:00,MAIN,wang,CHICKEN,7.5,\n"
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    for name, text in (("items.csv", ITEMS), ("bom.csv", BOM), ("history.csv", HISTORY)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert jxc(tmp_path, "import", "items", str(tmp_path / "items.csv")).returncode == 0
    return tmp_path


def test_bom_then_pos_history_then_the_usage_report(shop: Path) -> None:
    imported = jxc(shop, "import", "bom", str(shop / "bom.csv"), "--from", "2026-11-01")
    assert imported.returncode == 0, imported.stderr
    assert "bom: 1 products, 2 lines, valid from 2026-11-01 00:00" in imported.stdout
    assert jxc(shop, "import", "documents", str(shop / "history.csv")).returncode == 0
    report = jxc(shop, "report", "usage", "--from", "2026-11-23", "--to", "2026-11-29")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0] == "sku\tname\tunit\ttheoretical\tactual\tgap\tgap_money\tgap_pct"
    # 10 dishes × 0.2 kg in theory, and backflushed; the count found 0.5 kg more missing
    # (book 8, counted 7.5).
    assert "CHICKEN\t鸡肉\tkg\t2\t2.5\t0.5\t¥15.00\t25.0%" in lines
    assert "PEANUT\t花生\tkg\t0.5\t0.5\t0\t¥0.00\t0.0%" in lines
    assert jxc(shop, "audit", "verify").returncode == 0


def test_a_warehouse_whose_kitchen_works_by_issue_sells_dishes_without_moving_stock(
    shop: Path,
) -> None:
    with pytest.raises(SystemExit):  # argparse: "invalid choice: 'twice'"
        jxc(shop, "warehouses", "set", "MAIN", "--kit-consumption", "twice")
    assert jxc(shop, "warehouses", "set", "MAIN", "--kit-consumption", "issue").returncode == 0
    assert jxc(shop, "import", "bom", str(shop / "bom.csv"), "--from", "2026-11-01").returncode == 0
    assert jxc(shop, "import", "documents", str(shop / "history.csv")).returncode == 0
    stock = jxc(shop, "stock", "PEANUT")
    assert "MAIN\ton hand 2\t" in stock.stdout  # the dishes took none
    report = jxc(shop, "report", "usage", "--from", "2026-11-23", "--to", "2026-11-29")
    lines = report.stdout.splitlines()
    # Theory from the sale lines × recipe; the count (book 10, counted 7.5) is the actual.
    assert "CHICKEN\t鸡肉\tkg\t2\t2.5\t0.5\t¥15.00\t25.0%" in lines
    assert "PEANUT\t花生\tkg\t0.5\t0\t-0.5\t¥-6.00\t-100.0%" in lines
    assert jxc(shop, "audit", "verify").returncode == 0


def test_a_bad_bom_file_fails_with_line_numbers_and_imports_nothing(shop: Path) -> None:
    bad = shop / "bad.csv"
    bad.write_text(
        "product_sku,component_sku,qty,scrap_pct\nKUNGPAO,CHICKEN,0,0\nKUNGPAO,GHOST,1,0\n",
        encoding="utf-8",
    )
    result = jxc(shop, "import", "bom", str(bad))
    assert result.returncode == 1
    assert "第 2 行：qty 必须大于 0（收到 0）" in result.stderr
    assert "第 3 行：component_sku GHOST 不存在" in result.stderr
    subs = shop / "subs.csv"
    subs.write_text(
        "component_sku,substitute_sku,ratio,priority,needs_approval\nCHICKEN,CHICKEN,1,1,no\n",
        encoding="utf-8",
    )
    refused = jxc(shop, "import", "substitutes", str(subs))
    assert refused.returncode == 1 and "第 2 行：CHICKEN 不能替代自己" in refused.stderr


def test_substitutes_and_departments_from_the_cli(shop: Path) -> None:
    subs = shop / "subs.csv"
    subs.write_text(
        "component_sku,substitute_sku,ratio,priority,needs_approval\nCHICKEN,PEANUT,1.5,1,yes\n",
        encoding="utf-8",
    )
    assert jxc(shop, "import", "substitutes", str(subs)).stdout == "substitutes: 1 rules\n"
    assert jxc(shop, "departments", "list").stdout == "厨房\n生产\n"
    assert jxc(shop, "departments", "add", "前厅").returncode == 0
    again = jxc(shop, "departments", "add", "前厅")
    assert again.returncode == 1 and "部门 前厅 已存在" in again.stderr
    assert jxc(shop, "departments", "list").stdout == "厨房\n生产\n前厅\n"
