"""Reports over the ledger: exports, the health check and its charts. They only read."""

from core.reports import charts
from core.reports.exports import KINDS, ExportKind, check_warehouse, estimate, export
from core.reports.health import HealthReport, health_check
from core.reports.health_book import SHEETS
from core.reports.lists import order_to_lift, write_expiry_list, write_low_stock_list
from core.reports.outputs import HealthFiles, Priority, priorities, produce
from core.reports.period import Period, parse_day
from core.reports.tables import Book, Column, Kind, open_book

__all__ = [
    "KINDS",
    "SHEETS",
    "Book",
    "Column",
    "ExportKind",
    "HealthFiles",
    "HealthReport",
    "Kind",
    "Period",
    "Priority",
    "charts",
    "check_warehouse",
    "estimate",
    "export",
    "health_check",
    "open_book",
    "order_to_lift",
    "parse_day",
    "priorities",
    "produce",
    "write_expiry_list",
    "write_low_stock_list",
]
