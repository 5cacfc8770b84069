"""Facts the alert rules judge: pure reads over the ledger tables, no WeCom knowledge."""

from core.analytics.documents import (
    LineMoves,
    SalesLine,
    open_approvals,
    posted_lines,
    sales_lines,
)
from core.analytics.stock import (
    BatchStock,
    BelowCost,
    CategoryStock,
    LastOutgoing,
    StockLevel,
    batches_expiring_by,
    categories,
    items_priced_below_cost,
    last_outgoing,
    stock_levels,
)

__all__ = [
    "BatchStock",
    "BelowCost",
    "CategoryStock",
    "LastOutgoing",
    "LineMoves",
    "SalesLine",
    "StockLevel",
    "batches_expiring_by",
    "categories",
    "items_priced_below_cost",
    "last_outgoing",
    "open_approvals",
    "posted_lines",
    "sales_lines",
    "stock_levels",
]
