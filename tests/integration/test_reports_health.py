"""``jxc health``: the workbook's sheets and totals against a known history, the charts."""

from __future__ import annotations

import warnings
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from openpyxl import load_workbook
from PIL import Image

from core.reports import SHEETS, charts
from tests.support.cli import jxc
from tests.support.report_history import FIRST, LAST, SALES_TOTAL, import_history


@pytest.fixture
def health_dir(tmp_path: Path) -> Path:
    import_history(tmp_path)
    out = tmp_path / "health"
    result = jxc(tmp_path, "health", "--months", "3", "--to", LAST, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _sheet(out: Path, name: str) -> list[tuple[object, ...]]:
    book = load_workbook(out / "health.xlsx", read_only=True)
    return list(book[name].iter_rows(min_row=2, values_only=True))


def _number(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def test_workbook_has_every_sheet_in_order(health_dir: Path) -> None:
    assert load_workbook(health_dir / "health.xlsx", read_only=True).sheetnames == list(SHEETS)


def test_overview_states_sales_and_accuracy_of_the_history(health_dir: Path) -> None:
    overview = dict(_sheet(health_dir, "概览"))
    assert overview["销售额"] == f"¥{SALES_TOTAL}"
    assert overview["销售单数"] == "4"
    assert overview["账实相符率"] == "33.3%"


def test_count_sheet_compares_book_and_counted_per_category(health_dir: Path) -> None:
    rows = {r[0]: r for r in _sheet(health_dir, "账实对比")}
    # category, lines, exact, book, counted, variance value, accuracy
    assert rows["饮料"][1:5] == (2, 1, 129, 128)
    assert _number(rows["饮料"][5]) == Decimal(-2)
    assert rows["水果"][1:5] == (1, 0, 30, 28)
    assert rows["合计"][1:3] == (3, 1)


def test_loss_sheet_sums_writeoffs_and_shrink_as_a_share_of_sales(health_dir: Path) -> None:
    rows = {r[0]: r for r in _sheet(health_dir, "损耗")}
    sales, writeoff, shrink, loss, rate = (_number(v) for v in rows["乳品"][1:6])
    assert (sales, writeoff, shrink, loss) == (30, 40, 0, 40)  # 5 盒 × ¥6 sold, 10 × ¥4 lost
    assert rate == _number(Decimal(40) / Decimal(30))
    assert _number(rows["水果"][3]) == 16  # counted 2 short at ¥8
    assert _number(rows["合计"][1]) == Decimal(SALES_TOTAL)


def test_anomaly_sheet_lists_variances_and_the_sale_below_cost(health_dir: Path) -> None:
    kinds = [r[0] for r in _sheet(health_dir, "异常")]
    assert kinds.count("盘点差异") == 2
    assert kinds.count("低于成本销售") == 1


def test_slow_and_expiry_sheets_find_the_bread_and_the_milk(health_dir: Path) -> None:
    slow = {r[1]: r for r in _sheet(health_dir, "滞销")}
    assert _number(slow["BREAD"][7]) == 60
    expiry = _sheet(health_dir, "临期损失")
    written_off = [r for r in expiry if r[0] == "报损"]
    assert [(r[3], _number(r[8])) for r in written_off] == [("MILK", Decimal(40))]
    held = [r for r in expiry if r[0] == "过期在库"]
    assert [(r[3], _number(r[7])) for r in held] == [("MILK", Decimal(35))]


def _margins(out: Path, by: str) -> dict[object, list[Decimal]]:
    return {r[1]: [_number(v) for v in r[2:7]] for r in _sheet(out, "毛利") if r[0] == by}


def test_margin_sheet_gives_each_categorys_margin_at_batch_cost(health_dir: Path) -> None:
    rows = _margins(health_dir, "类别")
    # 可乐 39 sold for ¥134.50 at ¥2; 苹果 10 for ¥128 at ¥8; 鲜牛奶 5 for ¥30 at ¥4, 10 lost
    assert rows["饮料"][:4] == [Decimal("134.5"), Decimal(78), 0, Decimal("56.5")]
    assert rows["水果"][:4] == [Decimal(128), Decimal(80), 0, Decimal(48)]
    assert rows["乳品"][:4] == [Decimal(30), Decimal(20), Decimal(40), Decimal(-30)]
    assert rows["合计"][:4] == [Decimal(SALES_TOTAL), Decimal(178), Decimal(40), Decimal("74.5")]
    assert rows["合计"][4] == _number(Decimal("74.5") / Decimal(SALES_TOTAL))


def test_margin_sheet_gives_each_items_margin_with_the_margin_reports_totals(
    health_dir: Path,
) -> None:
    items = _margins(health_dir, "商品")
    assert items["可乐"][:4] == [Decimal("134.5"), Decimal(78), 0, Decimal("56.5")]
    assert items["鲜牛奶"][:4] == [Decimal(30), Decimal(20), Decimal(40), Decimal(-30)]
    assert items["合计"] == _margins(health_dir, "类别")["合计"]
    tmp_path = health_dir.parent
    for by, label in (("item", "商品"), ("category", "类别")):
        printed = jxc(tmp_path, "report", "margin", "--from", FIRST, "--to", LAST, "--by", by)
        assert printed.returncode == 0, printed.stderr
        total = printed.stdout.splitlines()[-1].split("\t")
        assert total[0] == "合计"
        assert [_number(v) for v in total[1:5]] == _margins(health_dir, label)["合计"][:4]


def test_summary_says_what_to_do_first(health_dir: Path) -> None:
    summary = (health_dir / "summary.md").read_text(encoding="utf-8")
    assert "先做这几件事" in summary
    # The most money first: 面包 ¥60 + 鲜牛奶 35 × ¥4 + 苹果 28 × ¥8 unsold for 30 days.
    assert "1. 3 个商品滞销，压着 ¥424.00" in summary
    assert "乳品损耗率 133.3%（¥40.00）" in summary


def test_charts_are_pngs_of_the_stated_size(health_dir: Path) -> None:
    for name in ("sales_trend", "loss_by_category", "accuracy_by_week"):
        path = health_dir / f"{name}.png"
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (charts.WIDTH_IN * charts.DPI, charts.HEIGHT_IN * charts.DPI)
        assert 5 < path.stat().st_size < 2 * 1024 * 1024  # WeCom: > 5 bytes, robots ≤ 2 MB


def test_an_empty_period_gives_an_honest_empty_report(tmp_path: Path) -> None:
    import_history(tmp_path)
    out = tmp_path / "empty"
    result = jxc(tmp_path, "health", "--months", "1", "--to", "2026-08-15", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "没有可体检的内容" in (out / "summary.md").read_text(encoding="utf-8")
    assert _sheet(out, "异常") == [("本期没有数据", *[None] * 7)]
    assert (out / "sales_trend.png").is_file()


def test_unwritable_output_is_one_line_and_non_zero(tmp_path: Path) -> None:
    import_history(tmp_path)
    (tmp_path / "file").write_text("x")
    result = jxc(tmp_path, "health", "--out", str(tmp_path / "file" / "sub"))
    assert result.returncode != 0 and "无法写入" in result.stderr
    assert result.stderr.count("\n") == 1


def test_chinese_label_is_drawn_with_the_bundled_cjk_font_not_the_fallback() -> None:
    font = charts.cjk_font()
    assert Path(font.get_file() or "") == charts.font_path()
    figure = Figure()
    label = figure.text(0.5, 0.5, "销售额 损耗率", fontproperties=font)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        figure.canvas.draw()
    used = font_manager.findfont(label.get_fontproperties(), fallback_to_default=False)
    assert Path(used) == charts.font_path()
    assert Path(used).name != Path(font_manager.findfont("DejaVu Sans")).name


def test_slow_sheet_dates_each_items_last_sale_in_or_before_the_period(tmp_path: Path) -> None:
    """Over October and November: 苹果 last sold in the period (10-10), 鲜牛奶 before it
    (09-05), 面包 never; 可乐 sold on 11-18, within the 30 days, so it is not slow."""
    import_history(tmp_path)
    out = tmp_path / "health"
    result = jxc(tmp_path, "health", "--months", "2", "--to", LAST, "--out", str(out))
    assert result.returncode == 0, result.stderr
    last_sales = {r[1]: r[6] for r in _sheet(out, "滞销")}
    assert last_sales == {
        "APPLE": datetime(2026, 10, 10, 15, 0),
        "MILK": datetime(2026, 9, 5, 10, 0),
        "BREAD": None,
    }


def test_loss_rates_of_zero_are_drawn_from_zero_up_not_on_an_axis_below_it() -> None:
    for rates in ([0.0, 0.0, 0.0], [0.0, 0.02]):
        axes = Figure().subplots()
        charts.loss_bars(axes, ["蔬菜", "水果", "乳品"][: len(rates)], rates, charts.cjk_font())
        bottom, top = axes.get_ylim()
        assert bottom == 0 and top > max(rates)
