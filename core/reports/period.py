"""The span a report covers: whole shop-local days, as UTC instants for the queries."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.common import InvalidInput


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    tz: ZoneInfo

    @classmethod
    def of(cls, first: date, last: date, tz: ZoneInfo) -> Period:
        if first > last:
            raise InvalidInput(f"开始日期 {first} 晚于结束日期 {last}，请把 --from 写在 --to 之前")
        return cls(first, last, tz)

    @classmethod
    def months_before(cls, last: date, months: int, tz: ZoneInfo) -> Period:
        """The ``months`` calendar months up to and including ``last``."""
        if months < 1:
            raise InvalidInput("月数至少为 1")
        year, month = divmod(last.year * 12 + last.month - 1 - months, 12)
        day = min(last.day, calendar.monthrange(year, month + 1)[1])
        return cls(date(year, month + 1, day) + timedelta(days=1), last, tz)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), self.tz)

    @property
    def until(self) -> datetime:
        """The first instant after the period (exclusive end)."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        return f"{self.first:%Y-%m-%d} 至 {self.last:%Y-%m-%d}"


def parse_day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{flag}：不是日期（应为 YYYY-MM-DD）：{text}") from None
