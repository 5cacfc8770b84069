"""Alert texts: Chinese jinja2 templates, and splitting markdown to WeCom's size limit."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.fmt import money, plain_qty


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["qty"] = plain_qty
    env.filters["pct"] = lambda share: f"{float(share) * 100:.1f}%"
    env.filters["local"] = _local
    env.filters["clock"] = lambda minute: f"{minute // 60 % 24:02d}:{minute % 60:02d}"
    return env


def _local(value: datetime | date, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz)
    return value.strftime(fmt)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context).strip()
