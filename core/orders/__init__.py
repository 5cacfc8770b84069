"""Orders and scanning (DESIGN §10): sales orders ``DD`` shipped by scanning, purchase orders
``CG`` received by scanning, cycle-count tasks counted by scanning, and the barcodes it reads.
"""

from core.orders.barcodes import BAD_CHECK_DIGIT, looks_like_code, read_code
from core.orders.counting import (
    CountDone,
    TaskView,
    category_exists,
    open_tasks,
    plan_tasks,
    start_count,
    this_weeks,
)
from core.orders.fulfil import Fulfilled, receive, release, rules_for, set_rules, ship
from core.orders.my_session import Ended, end_session, finish_count, scan, session_of
from core.orders.orders import (
    NewOrder,
    cancel_order,
    create_order,
    held_by_orders,
    list_orders,
    open_lines_of,
    order_view,
)
from core.orders.picking import Started, Suggestion, start
from core.orders.scanned import Scanned, UnknownCode, add_barcode, resolve_scan
from core.orders.scanning import Applied
from core.orders.sessions import expire_idle
from core.orders.stock import stock_of
from core.orders.views import (
    COUNT,
    PICK,
    PURCHASE,
    RECEIVE,
    SALES,
    OpenOrderLine,
    OrderLineView,
    OrderView,
    SessionView,
    progress_text,
)

__all__ = [
    "BAD_CHECK_DIGIT",
    "COUNT",
    "PICK",
    "PURCHASE",
    "RECEIVE",
    "SALES",
    "Applied",
    "CountDone",
    "Ended",
    "Fulfilled",
    "NewOrder",
    "OpenOrderLine",
    "OrderLineView",
    "OrderView",
    "Scanned",
    "SessionView",
    "Started",
    "Suggestion",
    "TaskView",
    "UnknownCode",
    "add_barcode",
    "cancel_order",
    "category_exists",
    "create_order",
    "end_session",
    "expire_idle",
    "finish_count",
    "held_by_orders",
    "list_orders",
    "looks_like_code",
    "open_lines_of",
    "open_tasks",
    "order_view",
    "plan_tasks",
    "progress_text",
    "read_code",
    "receive",
    "release",
    "resolve_scan",
    "rules_for",
    "scan",
    "session_of",
    "set_rules",
    "ship",
    "start",
    "start_count",
    "stock_of",
    "this_weeks",
]
