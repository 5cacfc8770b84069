"""Commands: plain values describing what a user asked for (cosmicpython style)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from core.common import DocType


@dataclass(frozen=True)
class Line:
    """One line: ``item`` is a sku; ``qty`` as the user means it (sold 2 → 2; counted 23 → 23)."""

    item: str
    qty: Decimal
    price: Decimal | None = None
    lot: str | None = None
    expiry: date | None = None


@dataclass(frozen=True, kw_only=True)
class DocumentCommand:
    doc_type: ClassVar[DocType]

    warehouse: str
    actor: str
    lines: tuple[Line, ...]
    partner: str | None = None
    # A contract (``HT-…``) the document executes, with the same partner.
    contract: str | None = None
    note: str = ""
    idempotency_key: str | None = None
    # Only set by history imports: the document already happened and is recorded as it was.
    posted_at: datetime | None = None
    number: str | None = None


@dataclass(frozen=True, kw_only=True)
class Receive(DocumentCommand):
    doc_type = DocType.RECEIPT


@dataclass(frozen=True, kw_only=True)
class Sell(DocumentCommand):
    """A sale; a line with a negative quantity is a negative sale (goods coming back)."""

    doc_type = DocType.SALE


@dataclass(frozen=True, kw_only=True)
class ReturnSale(DocumentCommand):
    doc_type = DocType.SALES_RETURN
    original_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnPurchase(DocumentCommand):
    doc_type = DocType.PURCHASE_RETURN


@dataclass(frozen=True, kw_only=True)
class Transfer(DocumentCommand):
    doc_type = DocType.TRANSFER
    to_warehouse: str


@dataclass(frozen=True, kw_only=True)
class Count(DocumentCommand):
    """Shelf count: each line's ``qty`` is what was counted; the variance is posted."""

    doc_type = DocType.COUNT


@dataclass(frozen=True, kw_only=True)
class WriteOff(DocumentCommand):
    doc_type = DocType.WRITEOFF


@dataclass(frozen=True, kw_only=True)
class Adjust(DocumentCommand):
    """A signed correction of book stock."""

    doc_type = DocType.ADJUSTMENT


@dataclass(frozen=True, kw_only=True)
class Issue(DocumentCommand):
    """Goods handed to a department (``partner`` names it), e.g. flour to the kitchen."""

    doc_type = DocType.ISSUE


@dataclass(frozen=True, kw_only=True)
class Produce(DocumentCommand):
    """A production run: the product's line is positive, each consumed component negative.

    ``approval_note`` says why it must wait for a manager (a substitute marked for approval).
    """

    doc_type = DocType.PRODUCTION
    approval_note: str = ""


COMMANDS: dict[DocType, type[DocumentCommand]] = {
    cls.doc_type: cls
    for cls in (
        Receive,
        Sell,
        ReturnSale,
        ReturnPurchase,
        Transfer,
        Count,
        WriteOff,
        Adjust,
        Issue,
        Produce,
    )
}


@dataclass(frozen=True)
class ChangePrice:
    item: str
    new_price: Decimal
    actor: str
    warehouse: str
    reason: str = ""
    idempotency_key: str | None = None
    # Set: the price in that customer price list (min_qty 0), not the item's own price.
    price_list: str | None = None


@dataclass(frozen=True, kw_only=True)
class AddItem:
    """A new catalogue item added by chat; what is left out takes the defaults of ``add_item``."""

    name: str
    price: Decimal
    actor: str
    barcode: str | None = None
    sku: str | None = None
    unit: str = "个"
    cost: Decimal = Decimal(0)
    category: str = ""
    shelf_life_days: int | None = None
    reorder_point: Decimal = Decimal(0)
