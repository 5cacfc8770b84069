"""The health check as one workbook: 概览 first, then one sheet per finding."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from core.common import money
from core.money import GROUPINGS, margins
from core.reports.exports import AUDIT_COLUMNS, audit_rows
from core.reports.health import HealthReport
from core.reports.tables import Cell, Column, Kind, XlsxBook
from core.storage import UnitOfWork

SHEETS = ("概览", "操作日志", "异常", "账实对比", "损耗", "毛利", "滞销", "临期损失", "领用")
NOTHING = "本期没有数据"


def _rows(sheet_rows: Sequence[Sequence[Cell]], book: XlsxBook, name: str,
          columns: Sequence[Column]) -> int:  # fmt: skip
    sheet = book.sheet(name, columns)
    for row in sheet_rows:
        sheet.write(row)
    if not sheet_rows:
        sheet.write([NOTHING, *[None] * (len(columns) - 1)])
    return len(sheet_rows)


def overview_rows(report: HealthReport) -> list[tuple[str, Cell]]:
    counts, losses = report.count_total, report.loss_total
    return [
        ("期间", report.period.label()),
        ("仓库", report.warehouse or "全部"),
        ("销售额", report.sales),
        ("退货额", report.returns),
        ("销售单数", report.sale_documents),
        ("操作日志条数", report.audit_entries),
        ("异常条数", len(report.findings)),
        ("盘点行数", counts.lines),
        ("账实相符率", counts.accuracy),
        ("损耗金额", losses.loss),
        ("损耗率（占销售额）", losses.rate),
        (f"滞销金额（{report.slow_days} 天未售）", report.slow_value),
        ("临期/过期损失", report.expiry_value),
        ("领用金额", report.issued_value),
    ]


async def write_health_book(uow: UnitOfWork, report: HealthReport, path: Path) -> None:
    with XlsxBook(path, report.period.tz) as book:
        overview = book.sheet("概览", (Column("项目", width=24), Column("数值", width=24)))
        money_rows = {"销售额", "退货额", "损耗金额", "临期/过期损失"}
        for label, value in overview_rows(report):
            overview.write((label, _shown(label, value, money_rows)))
        log = book.sheet("操作日志", AUDIT_COLUMNS)
        async for row in audit_rows(uow, report.period, None):
            log.write(row)
        _rows(_finding_rows(report), book, "异常", FINDING_COLUMNS)
        _rows(_count_rows(report), book, "账实对比", COUNT_COLUMNS)
        _rows(_loss_rows(report), book, "损耗", LOSS_COLUMNS)
        _rows(await _margin_rows(uow, report), book, "毛利", MARGIN_COLUMNS)
        _rows(_slow_rows(report), book, "滞销", SLOW_COLUMNS)
        _rows(_expiry_rows(report), book, "临期损失", EXPIRY_COLUMNS)
        _rows(_issue_rows(report), book, "领用", ISSUE_COLUMNS)


async def _margin_rows(uow: UnitOfWork, report: HealthReport) -> list[Sequence[Cell]]:
    """By category, then by item, each with its total: sales less the moves' cost (batch
    cost) and write-offs, as ``jxc report margin`` gives them for the period (``core.money``)."""
    period = report.period
    rows: list[Sequence[Cell]] = []
    found_by = await margins(
        uow, period.first, period.last + timedelta(days=1), ("category", "item"), report.warehouse
    )
    for by, found in found_by.items():
        rows += [
            (
                GROUPINGS[by],
                row.key or "（未分类）",
                row.revenue,
                row.cost,
                row.write_off,
                row.margin,
                None if row.revenue == 0 else row.margin / row.revenue,
            )
            for row in (*found.rows, found.total)
            if found.rows
        ]
    return rows


def _shown(label: str, value: Cell | object, money_rows: set[str]) -> Cell:
    if value is None:
        return "—（本期没有数据）"
    if isinstance(value, Decimal):
        return money(value) if label in money_rows or "金额" in label else f"{value * 100:.1f}%"
    return value  # type: ignore[return-value]


FINDING_COLUMNS = (
    Column("类别", width=14),
    Column("时间", Kind.INSTANT, 20),
    Column("仓库", width=8),
    Column("单号", width=22),
    Column("商品编码", width=12),
    Column("商品名称", width=14),
    Column("说明", width=40),
    Column("金额", Kind.MONEY, 12),
)
COUNT_COLUMNS = (
    Column("分类", width=12),
    Column("盘点行数", Kind.INT, 10),
    Column("相符行数", Kind.INT, 10),
    Column("账面数量", Kind.QTY, 12),
    Column("实盘数量", Kind.QTY, 12),
    Column("差异金额", Kind.MONEY, 12),
    Column("准确率", Kind.RATE, 10),
)
MARGIN_COLUMNS = (
    Column("按", width=6),
    Column("类别/商品", width=14),
    Column("销售额", Kind.MONEY, 12),
    Column("成本", Kind.MONEY, 12),
    Column("报损", Kind.MONEY, 12),
    Column("毛利", Kind.MONEY, 12),
    Column("毛利率", Kind.RATE, 10),
)
LOSS_COLUMNS = (
    Column("分类", width=12),
    Column("销售额", Kind.MONEY, 12),
    Column("报损金额", Kind.MONEY, 12),
    Column("盘亏金额", Kind.MONEY, 12),
    Column("损耗合计", Kind.MONEY, 12),
    Column("损耗率", Kind.RATE, 10),
)
SLOW_COLUMNS = (
    Column("仓库", width=8),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("分类", width=10),
    Column("库存", Kind.QTY, 10),
    Column("单位", width=6),
    Column("最近销售", Kind.INSTANT, 20),
    Column("库存金额", Kind.MONEY, 12),
)
EXPIRY_COLUMNS = (
    Column("类别", width=10),
    Column("仓库", width=8),
    Column("单号", width=22),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("批号", width=10),
    Column("到期日", Kind.DAY, 12),
    Column("数量", Kind.QTY, 10),
    Column("金额", Kind.MONEY, 12),
)

ISSUE_COLUMNS = (
    Column("部门", width=10),
    Column("领用单数", Kind.INT, 10),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("单位", width=6),
    Column("数量", Kind.QTY, 10),
    Column("金额", Kind.MONEY, 12),
)


def _finding_rows(report: HealthReport) -> list[Sequence[Cell]]:
    return [
        (f.kind, f.at, f.warehouse, f.reference, f.sku, f.name, f.detail, f.value)
        for f in report.findings
    ]


def _count_rows(report: HealthReport) -> list[Sequence[Cell]]:
    rows: list[Sequence[Cell]] = [
        (category, t.lines, t.exact, t.book, t.counted, t.variance_value, t.accuracy)
        for category, t in sorted(report.counts.items())
    ]
    if rows:
        t = report.count_total
        rows.append(("合计", t.lines, t.exact, t.book, t.counted, t.variance_value, t.accuracy))
    return rows


def _loss_rows(report: HealthReport) -> list[Sequence[Cell]]:
    rows: list[Sequence[Cell]] = [
        (category, t.sales, t.writeoff, t.shrink, t.loss, t.rate)
        for category, t in sorted(report.losses.items(), key=lambda kv: -kv[1].loss)
    ]
    if rows:
        t = report.loss_total
        rows.append(("合计", t.sales, t.writeoff, t.shrink, t.loss, t.rate))
    return rows


def _slow_rows(report: HealthReport) -> list[Sequence[Cell]]:
    return [
        (s.warehouse, s.item.sku, s.item.name, s.item.category, s.on_hand, s.item.unit,
         s.last_sale, s.value)
        for s in report.slow
    ]  # fmt: skip


def _expiry_rows(report: HealthReport) -> list[Sequence[Cell]]:
    return [
        (e.kind, e.warehouse, e.reference, e.item.sku, e.item.name, e.lot, e.expiry, e.qty,
         e.value)
        for e in report.expiry
    ]  # fmt: skip


def _issue_rows(report: HealthReport) -> list[Sequence[Cell]]:
    """Per department its items, then its 小计; last the 合计 over every department."""
    rows: list[Sequence[Cell]] = []
    for d in report.issues:
        rows.extend((d.department, d.documents, i.sku, i.name, i.unit, i.qty, i.value)
                    for i in d.items)  # fmt: skip
        rows.append((d.department, d.documents, "", "小计", "", None, d.value))
    if rows:
        documents = sum(d.documents for d in report.issues)
        rows.append(("合计", documents, "", "", "", None, report.issued_value))
    return rows
