"""Alert texts: Chinese jinja2 templates, and splitting markdown to WeCom's size limit."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.fmt import money, plain_qty

# WeCom refuses markdown messages over 2048 bytes of UTF-8 (a Chinese character is 3).
MAX_BYTES = 2048
CONTINUED = "（续 {part}/{parts}）\n"


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


def split_markdown(text: str, limit: int = MAX_BYTES) -> list[str]:
    """Cut at line ends into parts of at most ``limit`` bytes, each but the first marked."""
    budget = limit - len(CONTINUED.format(part=99, parts=99).encode())
    parts: list[list[str]] = [[]]
    size = 0
    for line in _short_lines(text, budget):
        cost = len(line.encode()) + 1
        if parts[-1] and size + cost > budget:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += cost
    texts = ["\n".join(lines) for lines in parts]
    if len(texts) == 1:
        return texts
    return [
        (CONTINUED.format(part=n, parts=len(texts)) if n > 1 else "") + body
        for n, body in enumerate(texts, start=1)
    ]


def _short_lines(text: str, budget: int) -> list[str]:
    """Lines, with any single line longer than the budget cut on character boundaries."""
    lines = []
    for line in text.split("\n"):
        while len(line.encode()) > budget:
            cut = len(line.encode()[:budget].decode(errors="ignore"))
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines
