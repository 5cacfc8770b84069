"""单据 filters: a period (今天, 昨天, 本周, 本月, 2026-11-01~2026-11-20) and
客户/部门/状态/类型/仓库.

Periods are shop-local calendar days (``uow.tz``), turned into UTC instants for the query. A
filter is kept in the conversation state between pages, so it round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import catalog
from core.common import (
    DOC_STATUS_NAMES,
    DOC_TYPE_NAMES,
    DocStatus,
    DocType,
    InvalidInput,
    PermissionDenied,
)
from core.ledger import DocumentFilter
from handlers.grammar import parse_date, split_options
from handlers.router import Context

RANGE_EXAMPLE = "2026-11-01~2026-11-20"
EXAMPLE = "单据 本周 客户 张三 状态 待审批 类型 销售"
KEYWORDS = frozenset({"客户", "部门", "状态", "类型", "仓库"})
STATUSES = {name: s.value for s, name in DOC_STATUS_NAMES.items()} | {s: s.value for s in DocStatus}
TYPES = (
    {name: t.value for t, name in DOC_TYPE_NAMES.items()}
    | {t: t.value for t in DocType}
    | {"退货": DocType.SALES_RETURN.value}
)
ONE_DAY = timedelta(days=1)


async def parse(ctx: Context, words: list[str]) -> DocumentFilter:
    found, rest = split_options(words, KEYWORDS, EXAMPLE)
    since, until = _period(rest, ctx.uow.today(), ctx.uow.tz)
    return DocumentFilter(
        since=since,
        until=until,
        # A department is the partner of an issue (领用), as a customer is of a sale.
        partner=found.get("客户", found.get("部门")),
        status=_choice(found.get("状态"), STATUSES, "状态", DOC_STATUS_NAMES.values()),
        type=_choice(found.get("类型"), TYPES, "类型", DOC_TYPE_NAMES.values()),
        warehouses=await _warehouses(ctx, found.get("仓库")),
    )


def to_payload(filters: DocumentFilter) -> dict[str, Any]:
    payload = asdict(filters)
    for key in ("since", "until"):
        if payload[key] is not None:
            payload[key] = payload[key].isoformat()
    return payload


def from_payload(payload: dict[str, Any]) -> DocumentFilter:
    values = dict(payload)
    for key in ("since", "until"):
        if values[key] is not None:
            values[key] = datetime.fromisoformat(values[key])
    if values["warehouses"] is not None:
        values["warehouses"] = tuple(values["warehouses"])
    return DocumentFilter(**values)


def period_days(word: str, today: date) -> tuple[date, date]:
    """The days ``word`` names, as [first, last + 1)."""
    named = {
        "今天": (today, today + ONE_DAY),
        "昨天": (today - ONE_DAY, today),
        "本周": (today - timedelta(days=today.weekday()), today + ONE_DAY),
        "本月": (today.replace(day=1), today + ONE_DAY),
    }
    if word in named:
        return named[word]
    if not word[:1].isdigit():
        raise InvalidInput(f"看不懂“{word}”。时间可以写 今天、昨天、本周、本月 或 {RANGE_EXAMPLE}")
    first, _, last = word.partition("~")
    start = parse_date(first, EXAMPLE)
    end = parse_date(last, EXAMPLE) if last else start
    if end < start:
        raise InvalidInput(f"结束日期早于开始日期，例如：单据 {start}~{start + ONE_DAY}")
    return start, end + ONE_DAY


def _period(words: list[str], today: date, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    if not words:
        return None, None
    if len(words) > 1:
        raise InvalidInput(f"只能写一个时间范围，看不懂“{' '.join(words)}”，例如：{EXAMPLE}")
    start, end = period_days(words[0], today)
    return datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)


def _choice(value: str | None, choices: dict[str, str], what: str, shown: Any) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise InvalidInput(f"{what}“{value}”不存在，可选：{'、'.join(shown)}")
    return choices[value]


async def _warehouses(ctx: Context, code: str | None) -> tuple[str, ...] | None:
    visible = ctx.visible_warehouses
    if code is None:
        return visible
    known = await catalog.warehouse_code(ctx.uow, code)
    if visible is not None and known not in visible:
        raise PermissionDenied(f"你没有仓库 {known} 的权限")
    return (known,)
