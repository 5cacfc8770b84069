"""Sliding-window send limits per recipient (WeCom drops what exceeds its limits, silently)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta


def rate_keys(channel: str, target: str) -> list[tuple[str, str]]:
    """The limited recipients of a row: every user of a ``user`` row, the robot of a webhook."""
    if channel == "user":
        return [("user", userid.lower()) for userid in target.split("|") if userid]
    if channel == "webhook":
        return [("webhook", target)]
    return []


class RateLimiter:
    def __init__(self, limits: Mapping[str, int], window: timedelta) -> None:
        self._limits = dict(limits)
        self._window = window
        self._sent: dict[tuple[str, str], deque[datetime]] = {}

    def admit(self, keys: list[tuple[str, str]], now: datetime) -> datetime | None:
        """Count one send to ``keys`` and return None, or return when the window frees a slot."""
        free_at = [self._full_until(key, now) for key in keys]
        blocked = [at for at in free_at if at is not None]
        if blocked:
            return max(blocked)
        for key in keys:
            self._sent.setdefault(key, deque()).append(now)
        return None

    def _full_until(self, key: tuple[str, str], now: datetime) -> datetime | None:
        sent = self._sent.get(key)
        if sent is None:
            return None
        while sent and sent[0] <= now - self._window:
            sent.popleft()
        if not sent:
            del self._sent[key]
            return None
        if len(sent) < self._limits[key[0]]:
            return None
        return sent[0] + self._window
