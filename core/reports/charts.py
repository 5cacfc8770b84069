"""The health check's pictures, drawn with matplotlib (Agg, headless) in a CJK font.

The font is Noto Sans CJK SC from the ``mplfonts`` package, a dependency, so it installs with
the project on any machine; it is registered and named by its file path, never left to
matplotlib's search (which falls back to DejaVu Sans and draws Chinese as boxes).
matplotlib is the plotting library because it renders PNGs headless with no browser or
server, is maintained, and is what the font package targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from importlib import resources
from pathlib import Path

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from core.reports.health import HealthReport

FONT_FILE = "NotoSansCJKsc-Regular.otf"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 120  # 960 × 540 px: readable on a phone, well < 2 MB
COLOURS = ("#2F6FB3", "#D9534F", "#5CB85C")


def font_path() -> Path:
    """The CJK font file shipped by ``mplfonts``; raises if the package lost it."""
    path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"CJK font missing: {path} (reinstall mplfonts)")
    return path


def cjk_font() -> font_manager.FontProperties:
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    path: Path


def _figure() -> tuple[Figure, Axes]:
    # A bare Figure (no pyplot): no global state, no display, safe off the main thread.
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _empty(axes: Axes, font: font_manager.FontProperties) -> None:
    axes.text(
        0.5, 0.5, "本期没有数据", ha="center", va="center", fontproperties=font, fontsize=16,
        transform=axes.transAxes,
    )  # fmt: skip
    axes.set_xticks([])
    axes.set_yticks([])


def _title(axes: Axes, text: str, font: font_manager.FontProperties) -> None:
    axes.set_title(text, fontproperties=font, fontsize=14)


def _label_ticks(axes: Axes, font: font_manager.FontProperties) -> None:
    for label in [*axes.get_xticklabels(), *axes.get_yticklabels()]:
        label.set_fontproperties(font)


def sales_trend(days: Sequence[date], values: Sequence[Decimal], title: str, path: Path) -> Path:
    font = cjk_font()
    figure, axes = _figure()
    _title(axes, title, font)
    if not any(values):
        _empty(axes, font)
        return _save(figure, path)
    moments = [datetime.combine(d, time()) for d in days]
    axes.plot(moments, [float(v) for v in values], color=COLOURS[0], marker="o", markersize=3)  # type: ignore[arg-type]
    axes.set_ylabel("销售额（元）", fontproperties=font)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"¥{v:,.0f}"))
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    _label_ticks(axes, font)
    return _save(figure, path)


def loss_by_category(categories: Sequence[str], rates: Sequence[Decimal], path: Path) -> Path:
    font = cjk_font()
    figure, axes = _figure()
    _title(axes, "各分类损耗率（报损 + 盘亏 ÷ 销售额）", font)
    if not categories:
        _empty(axes, font)
        return _save(figure, path)
    loss_bars(axes, categories, [float(r) for r in rates], font)
    return _save(figure, path)


def loss_bars(
    axes: Axes, categories: Sequence[str], rates: Sequence[float], font: font_manager.FontProperties
) -> None:
    """Loss rates as bars from 0 up: a shop with no loss anywhere sees bars at 0%, not an
    axis that runs down to -5% (matplotlib centres an all-zero range on it)."""
    bars = axes.bar(list(categories), list(rates), color=COLOURS[1])
    axes.bar_label(bars, labels=[f"{r:.1%}" for r in rates], fontproperties=font)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    _label_ticks(axes, font)


def accuracy_by_week(weeks: Sequence[date], rates: Sequence[Decimal], path: Path) -> Path:
    font = cjk_font()
    figure, axes = _figure()
    _title(axes, "每周账实相符率（盘点行）", font)
    if not weeks:
        _empty(axes, font)
        return _save(figure, path)
    labels = [f"{w:%m-%d}周" for w in weeks]
    axes.plot(labels, [float(r) for r in rates], color=COLOURS[2], marker="o")
    axes.set_ylim(0, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.grid(alpha=0.3)
    _label_ticks(axes, font)
    return _save(figure, path)


def digest_chart(report: HealthReport, title: str, path: Path) -> Path:
    """The daily digest's one picture: sales of the report's days beside loss by category."""
    font = cjk_font()
    figure = Figure(figsize=(WIDTH_IN * 1.25, HEIGHT_IN), dpi=DPI)
    sales, loss = figure.subplots(1, 2, width_ratios=(3, 2))
    figure.suptitle(title, fontproperties=font, fontsize=14)
    days = sorted(report.daily_sales)
    values = [float(report.daily_sales[d]) for d in days]
    _title(sales, "销售额（元）", font)
    sales.bar([f"{d:%m-%d}" for d in days], values, color=COLOURS[0])
    sales.tick_params(axis="x", labelrotation=60, labelsize=8)
    _label_ticks(sales, font)
    _title(loss, "损耗率", font)
    rated = sorted(
        ((c, float(t.rate)) for c, t in report.losses.items() if t.rate is not None),
        key=lambda cr: -cr[1],
    )[:6]
    if rated:
        loss_bars(loss, [c for c, _ in rated], [r for _, r in rated], font)
    else:
        _empty(loss, font)
    return _save(figure, path)


def health_charts(report: HealthReport, folder: Path) -> list[Chart]:
    """The three pictures of a health check, as PNG files in ``folder``."""
    days = sorted(report.daily_sales)
    trend = sales_trend(
        days, [report.daily_sales[d] for d in days], "每日销售额", folder / "sales_trend.png"
    )
    rated = sorted(
        ((c, t.rate) for c, t in report.losses.items() if t.rate is not None),
        key=lambda cr: -cr[1],
    )
    loss = loss_by_category(
        [c for c, _ in rated], [r for _, r in rated], folder / "loss_by_category.png"
    )
    weeks = [(w, t.accuracy) for w, t in report.weekly_counts.items() if t.accuracy is not None]
    accuracy = accuracy_by_week(
        [w for w, _ in weeks], [a for _, a in weeks], folder / "accuracy_by_week.png"
    )
    return [
        Chart("sales_trend", "每日销售额", trend),
        Chart("loss_by_category", "各分类损耗率", loss),
        Chart("accuracy_by_week", "每周账实相符率", accuracy),
    ]
