"""Plain results of the order services (no ORM objects leave ``core``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.common import plain_qty

SALES, PURCHASE = "sales", "purchase"
OPEN, PARTIAL, COMPLETE, CANCELLED = "open", "partial", "complete", "cancelled"
ORDER_PREFIX = {SALES: "DD", PURCHASE: "CG"}
KIND_NAMES = {SALES: "销售订单", PURCHASE: "采购订单"}
STATUS_NAMES = {
    SALES: {OPEN: "待发货", PARTIAL: "部分发货", COMPLETE: "已发货", CANCELLED: "已取消"},
    PURCHASE: {OPEN: "待收货", PARTIAL: "部分收货", COMPLETE: "已收货", CANCELLED: "已取消"},
}
PICK, RECEIVE, COUNT = "pick", "receive", "count"
MODE_NAMES = {PICK: "拣货", RECEIVE: "收货", COUNT: "盘点"}


@dataclass(frozen=True)
class OrderLineView:
    line_no: int
    sku: str
    name: str
    unit: str
    qty: Decimal
    price: Decimal | None
    picked: Decimal
    done: Decimal

    @property
    def open(self) -> Decimal:
        return self.qty - self.done

    @property
    def scanned(self) -> Decimal:
        """Scanned so far, shipped/received or not: what the progress line shows."""
        return self.picked + self.done


@dataclass(frozen=True)
class OrderView:
    number: str
    kind: str
    status: str
    warehouse: str
    partner: str | None
    created_by: str
    created_at: datetime
    lines: tuple[OrderLineView, ...]
    documents: tuple[str, ...] = ()
    keeps_stock: bool = True  # False: a warehouse without stock, nothing to pick or scan

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.kind][self.status]

    @property
    def total(self) -> Decimal:
        return sum((ln.qty * (ln.price or 0) for ln in self.lines), Decimal(0))


@dataclass(frozen=True)
class OpenOrderLine:
    """What an open order still has to ship (or receive) of one item: for ``查``."""

    number: str
    kind: str
    partner: str | None
    open: Decimal

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass(frozen=True)
class SessionView:
    mode: str
    userid: str
    order: OrderView | None
    category: str | None

    @property
    def mode_name(self) -> str:
        return MODE_NAMES[self.mode]

    @property
    def subject(self) -> str:
        return self.order.number if self.order is not None else f"盘点 {self.category}"


def progress_text(order: OrderView) -> str:
    """``可乐 1/2 · 雪碧 0/3``: scanned so far against ordered, per line."""
    return " · ".join(
        f"{ln.name} {plain_qty(ln.scanned)}/{plain_qty(ln.qty)}" for ln in order.lines
    )
