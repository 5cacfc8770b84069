"""Reports over the ledger: exports, the health check and its charts. They only read."""

from core.reports.exports import KINDS, ExportKind, check_warehouse, estimate, export
from core.reports.health import HealthReport, health_check
from core.reports.outputs import HealthFiles, Priority, priorities, produce
from core.reports.period import Period, parse_day
from core.reports.tables import Book, Column, Kind, open_book

__all__ = [
    "KINDS",
    "Book",
    "Column",
    "ExportKind",
    "HealthFiles",
    "HealthReport",
    "Kind",
    "Period",
    "Priority",
    "check_warehouse",
    "estimate",
    "export",
    "health_check",
    "open_book",
    "parse_day",
    "priorities",
    "produce",
]
