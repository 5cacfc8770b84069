"""The server's clock. Only it orders events; timestamps are stored in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str, shop_zone: ZoneInfo) -> datetime:
    """An ISO 8601 instant in UTC; one written without a zone is the shop's local time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=shop_zone)
    return moment.astimezone(UTC)
