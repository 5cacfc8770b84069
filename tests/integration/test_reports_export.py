"""``jxc export``: workbooks opened with openpyxl and checked against the ledger."""

from __future__ import annotations

import csv
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.storage import SHANGHAI
from tests.support.cli import jxc
from tests.support.report_history import FIRST, HEADER, LAST, SALES_TOTAL, import_history


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return import_history(tmp_path)


def _export(tmp_path: Path, what: str, name: str, *extra: str) -> Path:
    out = tmp_path / name
    result = jxc(tmp_path, "export", what, "--from", FIRST, "--to", LAST, *extra, str(out))
    assert result.returncode == 0, result.stderr
    return out


def _rows(path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    sheet = load_workbook(path, read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [str(h) for h in header], rows


def test_lines_export_has_chinese_headers_every_line_and_the_sales_total(
    ledger: Path, tmp_path: Path
) -> None:
    header, rows = _rows(_export(tmp_path, "lines", "lines.xlsx"))
    assert header[:5] == ["单号", "类型", "状态", "仓库", "日期时间"]
    with sqlite3.connect(ledger) as db:
        (lines,) = db.execute("SELECT count(*) FROM document_lines").fetchone()
    assert len(rows) == lines == 14
    amount = header.index("金额")
    sales = sum(Decimal(str(r[amount])) for r in rows if r[1] == "销售")
    assert sales == Decimal(SALES_TOTAL)


def test_dates_are_shop_time_and_money_has_two_decimals(ledger: Path, tmp_path: Path) -> None:
    out = _export(tmp_path, "lines", "lines.xlsx")
    sheet = load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    first_sale = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "S1")
    at = first_sale[header.index("日期时间")]
    assert at.value == datetime(2026, 9, 5, 10, 0)  # imported as 10:00 shop time
    price = first_sale[header.index("单价")]
    assert isinstance(price.value, float) and price.number_format == "0.00##"
    amount = first_sale[header.index("金额")]
    assert amount.value == 35 and amount.number_format == "0.00"


def test_a_unit_price_below_a_cent_is_exported_as_it_is_and_its_amount_in_cents(
    ledger: Path, tmp_path: Path
) -> None:
    spice = tmp_path / "spice.csv"
    spice.write_text(HEADER + "S9,sale,2026-11-25T09:00:00,MAIN,wang,,COKE,3,0.0035,,\n")
    assert jxc(tmp_path, "import", "documents", str(spice)).returncode == 0
    sheet = load_workbook(_export(tmp_path, "lines", "lines.xlsx")).worksheets[0]
    header = [c.value for c in sheet[1]]
    line = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "S9")
    assert line[header.index("单价")].value == 0.0035
    assert line[header.index("金额")].value == 0.01
    rows = list(
        csv.reader(_export(tmp_path, "lines", "lines.csv").read_text("utf-8-sig").splitlines())
    )
    text = next(r for r in rows if r[0] == "S9")
    assert (text[rows[0].index("单价")], text[rows[0].index("金额")]) == ("0.0035", "0.01")


def test_a_negative_sale_is_exported_with_a_negative_amount(ledger: Path, tmp_path: Path) -> None:
    """A line's 金额 is its quantity × price, each rounded to the cent as an invoice shows it:
    summing the sales' 金额 gives what the margin report says was sold."""
    undone = tmp_path / "undone.csv"
    undone.write_text(
        HEADER
        + "S9,sale,2026-11-25T09:00:00,MAIN,wang,张三,COKE,-3,1.4208,,\n"
        + "S9,sale,2026-11-25T09:00:00,MAIN,wang,张三,COKE,-3,1.4208,,\n"
    )
    assert jxc(tmp_path, "import", "documents", str(undone)).returncode == 0
    header, rows = _rows(_export(tmp_path, "lines", "lines.xlsx"))
    amount = header.index("金额")
    assert [r[amount] for r in rows if r[0] == "S9"] == [-4.26, -4.26]  # −4.2624 each
    sales = sum(Decimal(str(r[amount])) for r in rows if r[1] == "销售")
    assert sales == Decimal(SALES_TOTAL) - Decimal("8.52")
    header, rows = _rows(_export(tmp_path, "documents", "docs.xlsx"))
    assert next(r for r in rows if r[0] == "S9")[header.index("金额")] == -8.52
    header, rows = _rows(_export(tmp_path, "partners", "partners.xlsx"))
    assert next(r for r in rows if r[1] == "张三")[header.index("金额")] == 84.48  # 93 − 8.52


def test_the_person_is_named_and_a_userid_nobody_here_has_stays_as_it_is(
    ledger: Path, tmp_path: Path
) -> None:
    added = jxc(tmp_path, "users", "add", "wang", "--name", "王丽", "--role", "clerk")
    assert added.returncode == 0, added.stderr
    for what in ("lines", "documents"):
        header, rows = _rows(_export(tmp_path, what, f"{what}.xlsx"))
        actor = {r[0]: r[header.index("经办人")] for r in rows}
        assert (actor["S1"], actor["W1"]) == ("王丽", "li")  # li was never added as a user


def test_documents_export_sums_each_documents_lines(ledger: Path, tmp_path: Path) -> None:
    header, rows = _rows(_export(tmp_path, "documents", "docs.xlsx"))
    by_number = {r[0]: r for r in rows}
    assert len(rows) == 8
    s2 = by_number["S2"]
    assert s2[header.index("行数")] == 2
    assert Decimal(str(s2[header.index("金额")])) == Decimal("198.00")
    assert by_number["W1"][header.index("金额")] is None  # a write-off carries no price


def test_stock_export_rolls_opening_in_out_and_closing(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "stock.xlsx"
    result = jxc(tmp_path, "export", "stock", "--from", "2026-10-01", "--to", LAST, str(out))
    assert result.returncode == 0, result.stderr
    header, rows = _rows(out)
    coke = next(r for r in rows if r[1] == "COKE")
    opening, added, taken, closing = (
        Decimal(str(coke[header.index(h)]))
        for h in ("期初数量", "本期增加", "本期减少", "期末数量")
    )
    assert (opening, added, taken, closing) == (90, 0, 30, 60)
    assert Decimal(str(coke[header.index("期末金额")])) == Decimal(120)


def test_audit_export_lists_every_entry_of_the_period(ledger: Path, tmp_path: Path) -> None:
    # The import's audit entries are dated when it ran (today in the shop, the export's own
    # calendar: from 16:00 UTC it is already tomorrow there), not when the sales happened.
    today = datetime.now(SHANGHAI).date().isoformat()
    out = tmp_path / "audit.xlsx"
    result = jxc(tmp_path, "export", "audit", "--from", FIRST, "--to", today, str(out))
    assert result.returncode == 0, result.stderr
    header, rows = _rows(out)
    with sqlite3.connect(ledger) as db:
        (entries,) = db.execute("SELECT count(*) FROM audit_log").fetchone()
    assert header[:4] == ["序号", "时间", "操作人", "操作"]
    assert len(rows) == entries > 0
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_csv_export_is_utf8_with_bom_and_plain_two_decimal_money(
    ledger: Path, tmp_path: Path
) -> None:
    out = _export(tmp_path, "partners", "partners.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["类型", "名称", "单据数", "金额", "首次往来", "最近往来"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["张三"][:4] == ["客户", "张三", "2", "93.00"]
    assert by_name["供应商甲"][3] == "780.00"  # 100×2 + 50×4 + 40×8 + 20×3
    assert by_name["张三"][4] == "2026-09-05 10:00:00"


def test_partner_kinds_are_named_in_chinese_for_every_kind(ledger: Path, tmp_path: Path) -> None:
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE partners SET kind = 'both' WHERE name = '张三'")
    _, rows = _rows(_export(tmp_path, "partners", "partners.xlsx"))
    kinds = {r[1]: r[0] for r in rows}
    assert kinds["张三"] == "客户/供应商"
    assert kinds["供应商甲"] == "供应商"


def test_warehouse_filter_keeps_only_that_warehouse(ledger: Path, tmp_path: Path) -> None:
    assert jxc(tmp_path, "warehouses", "add", "B1", "--name", "二号店").returncode == 0
    _, rows = _rows(_export(tmp_path, "lines", "b1.xlsx", "--warehouse", "B1"))
    assert rows == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-11-30", "--to", "2026-09-01"], "晚于"),
        (["--from", "2026-13-01", "--to", "2026-09-01"], "不是日期"),
        (["--from", FIRST, "--to", LAST, "--warehouse", "NOPE"], "没有仓库"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    ledger: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.xlsx"
    result = jxc(tmp_path, "export", "lines", *args, str(out))
    assert result.returncode != 0
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_unwritable_path_and_unknown_extension_are_refused(ledger: Path, tmp_path: Path) -> None:
    missing = jxc(tmp_path, "export", "lines", "--from", FIRST, "--to", LAST, "/nonexistent/x.xlsx")
    assert missing.returncode != 0 and "无法写入" in missing.stderr
    wrong = jxc(tmp_path, "export", "lines", "--from", FIRST, "--to", LAST, str(tmp_path / "x.pdf"))
    assert wrong.returncode != 0 and ".xlsx 或 .csv" in wrong.stderr
    assert wrong.stderr.count("\n") == 1


def test_audit_export_refuses_a_warehouse(ledger: Path, tmp_path: Path) -> None:
    result = jxc(
        tmp_path, "export", "audit", "--from", FIRST, "--to", LAST, "--warehouse", "MAIN",
        str(tmp_path / "a.xlsx"),
    )  # fmt: skip
    assert result.returncode != 0 and "不分仓库" in result.stderr


@pytest.mark.parametrize("what", ["documents", "lines", "audit", "stock"])
def test_a_period_with_no_data_exports_the_headers_alone(
    ledger: Path, tmp_path: Path, what: str
) -> None:
    out = tmp_path / f"{what}.xlsx"
    result = jxc(tmp_path, "export", what, "--from", "2020-01-01", "--to", "2020-01-31", str(out))
    assert result.returncode == 0, result.stderr
    header, rows = _rows(out)
    assert header and all(h.strip() for h in header)
    assert rows == []
