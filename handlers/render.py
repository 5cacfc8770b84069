"""Replies rendered from jinja2 templates in ``handlers/templates`` (plain text, Chinese)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.doctypes import DOC_STATUS_NAMES, DOC_TYPE_NAMES, DocStatus, DocType
from core.fmt import money, qty_text
from core.ledger import PARTNER_KIND

PARTNER_LABELS = {"customer": "客户", "supplier": "供应商"}


def local_time(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%m-%d %H:%M")


def doc_type_name(value: str) -> str:
    return DOC_TYPE_NAMES[DocType(value)]


def doc_status_name(value: str) -> str:
    return DOC_STATUS_NAMES[DocStatus(value)]


def partner_label(doc_type: str) -> str:
    """``客户`` on sales and customer returns, ``供应商`` on receipts and purchase returns."""
    return PARTNER_LABELS[PARTNER_KIND[DocType(doc_type)]]


def percent(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("handlers", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        money=money,
        qty=qty_text,
        local=local_time,
        doc_type=doc_type_name,
        doc_status=doc_status_name,
        partner_label=partner_label,
        percent=percent,
    )
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values).strip()
