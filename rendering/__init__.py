"""The one jinja2 environment factory, for chat replies (handlers) and alerts (notifications).

Both get the same filters, so ``qty`` or ``local`` mean one thing in every template: ``qty``
is a quantity without trailing zeros, followed by its unit when one is given.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.common import (
    DOC_STATUS_NAMES,
    DOC_TYPE_NAMES,
    DocStatus,
    DocType,
    money,
    plain_qty,
    qty_text,
    unit_price,
)
from core.ledger import PARTNER_KIND

PARTNER_LABELS = {"customer": "客户", "supplier": "供应商", "department": "部门"}


def qty(value: Decimal, unit: str | None = None) -> str:
    return plain_qty(value) if unit is None else qty_text(value, unit)


def signed(value: Decimal) -> str:
    """``+0.5`` for a gain or an overuse, ``-2`` for a shortfall."""
    return ("+" if value > 0 else "") + plain_qty(value)


def local_time(value: datetime | date, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz)
    return value.strftime(fmt)


def doc_type_name(value: str) -> str:
    return DOC_TYPE_NAMES[DocType(value)]


def doc_status_name(value: str) -> str:
    return DOC_STATUS_NAMES[DocStatus(value)]


def partner_label(doc_type: str) -> str:
    """``客户`` on sales and customer returns, ``供应商`` on receipts and purchase returns."""
    return PARTNER_LABELS[PARTNER_KIND[DocType(doc_type)]]


def percent(share: Decimal | float) -> str:
    return f"{float(share) * 100:.1f}%"


def clock_time(minute: int) -> str:
    """Minutes after midnight as ``HH:MM``."""
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


FILTERS: dict[str, Any] = {
    "money": money,
    "price": unit_price,
    "qty": qty,
    "local": local_time,
    "doc_type": doc_type_name,
    "doc_status": doc_status_name,
    "partner_label": partner_label,
    "pct": percent,
    "clock": clock_time,
    "signed": signed,
}


def environment(package: str) -> Environment:
    """The templates in ``<package>/templates``, plain text (no autoescape), strict."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    return env
