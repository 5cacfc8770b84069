"""Full lists behind the expiry and low-stock alerts, as workbooks sent beside the message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from core.analytics import BatchStock, StockLevel
from core.reports.tables import Column, Kind, XlsxBook

EXPIRY_COLUMNS = (
    Column("仓库", width=8),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("分类", width=10),
    Column("批号", width=12),
    Column("到期日", Kind.DAY, 12),
    Column("剩余天数", Kind.INT, 10),
    Column("数量", Kind.QTY, 10),
    Column("单位", width=6),
    Column("成本金额", Kind.MONEY, 12),
)
LOW_STOCK_COLUMNS = (
    Column("仓库", width=8),
    Column("商品编码", width=12),
    Column("商品名称", width=16),
    Column("分类", width=10),
    Column("可用", Kind.QTY, 10),
    Column("在库", Kind.QTY, 10),
    Column("已占用", Kind.QTY, 10),
    Column("补货点", Kind.QTY, 10),
    Column("建议采购", Kind.QTY, 10),
    Column("单位", width=6),
)


def order_to_lift(stock: Decimal, level: StockLevel) -> Decimal:
    """What lifts ``stock`` above the reorder point: ``reorder_qty`` in as many whole
    multiples as that takes, or, with none set, enough to reach twice the point."""
    point, standard = level.reorder_point, level.reorder_qty
    if standard > 0:
        return standard * (int(max(point - stock, Decimal(0)) // standard) + 1)
    return max(2 * point - stock, point)


def write_expiry_list(batches: Sequence[BatchStock], today: date, path: Path, tz: ZoneInfo) -> Path:
    """Every batch, soonest expiry first."""
    with XlsxBook(path, tz) as book:
        sheet = book.sheet("临期过期", EXPIRY_COLUMNS)
        for b in sorted(batches, key=lambda b: (b.expiry, b.warehouse, b.sku)):
            sheet.write(
                (b.warehouse, b.sku, b.name, b.category, b.lot, b.expiry,
                 (b.expiry - today).days, b.qty, b.unit, b.value)
            )  # fmt: skip
    return path


def write_low_stock_list(
    levels: Sequence[tuple[StockLevel, Decimal]], path: Path, tz: ZoneInfo
) -> Path:
    """Every item at or under its reorder point, the emptiest first, with what to order."""
    with XlsxBook(path, tz) as book:
        sheet = book.sheet("低库存", LOW_STOCK_COLUMNS)
        for level, suggested in sorted(
            levels, key=lambda ls: ls[0].available - ls[0].reorder_point
        ):
            sheet.write(
                (level.warehouse, level.sku, level.name, level.category, level.available,
                 level.on_hand, level.reserved, level.reorder_point, suggested, level.unit)
            )  # fmt: skip
    return path
