"""Rows of an import file, and the line-numbered errors found in them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from core.common import ImportFailed

T = TypeVar("T")


class RowErrors:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def parse(self, line_no: int, column: str, text: str, parser: Callable[[str], T]) -> T | None:
        try:
            return parser(text)
        except (ValueError, InvalidOperation):
            self.messages.append(f"第 {line_no} 行 {column}：“{text}” 无法识别")
            return None

    def add(self, line_no: int, message: str) -> None:
        self.messages.append(f"第 {line_no} 行：{message}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise ImportFailed(self.messages[:50])


def decimal_text(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(text)
    return value
