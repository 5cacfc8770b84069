"""Facts the alert rules judge: pure reads over the ledger tables, no WeCom knowledge."""

from core.analytics.documents import (
    LineMoves,
    SalesLine,
    open_approvals,
    posted_lines,
    sales_lines,
)
from core.analytics.expiring import (
    Buckets,
    Expiring,
    ExpiryCounts,
    ExpiryScan,
    Told,
    expiry_counts,
    expiry_news,
)
from core.analytics.low import LowCounts, Said, low_stock_counts, low_stock_due, restocked
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
    "Buckets",
    "CategoryStock",
    "Expiring",
    "ExpiryCounts",
    "ExpiryScan",
    "LastOutgoing",
    "LineMoves",
    "LowCounts",
    "Said",
    "SalesLine",
    "StockLevel",
    "Told",
    "batches_expiring_by",
    "categories",
    "expiry_counts",
    "expiry_news",
    "items_priced_below_cost",
    "last_outgoing",
    "low_stock_counts",
    "low_stock_due",
    "open_approvals",
    "posted_lines",
    "restocked",
    "sales_lines",
    "stock_levels",
]
