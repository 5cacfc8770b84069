from __future__ import annotations

from decimal import Decimal

from core.common import MAX_MESSAGE_BYTES, money, plain_qty, split_message, unit_price


def test_money_and_quantities_read_as_a_shop_writes_them() -> None:
    assert money(Decimal("3.5")) == "¥3.50"
    assert money(Decimal("1234.005")) == "¥1,234.01"
    assert plain_qty(Decimal("24.0000")) == "24"
    assert plain_qty(Decimal("1.5000")) == "1.5"


def test_a_short_message_stays_whole() -> None:
    assert split_message("查 可乐\n库存 22 瓶") == ["查 可乐\n库存 22 瓶"]


def test_a_long_message_is_cut_at_line_ends_into_marked_parts_within_the_limit() -> None:
    lines = [f"第 {n} 行：鲜牛奶 批号 M{n:04d} 到期 2026-12-01" for n in range(200)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(len(part.encode()) <= MAX_MESSAGE_BYTES for part in parts)
    assert parts[1].startswith(f"（续 2/{len(parts)}）\n")
    rejoined = [line for part in parts for line in part.split("\n") if not line.startswith("（续")]
    assert rejoined == lines


def test_a_single_overlong_line_is_cut_on_character_boundaries() -> None:
    parts = split_message("可" * 3000)
    assert all(len(part.encode()) <= MAX_MESSAGE_BYTES for part in parts)
    assert (
        "".join(p.split("\n", 1)[-1] if p.startswith("（续") else p for p in parts) == "可" * 3000
    )


def test_a_unit_price_keeps_the_places_below_a_cent_it_has() -> None:
    assert unit_price(Decimal("3.5")) == "¥3.50"
    assert unit_price(Decimal("1234.5000")) == "¥1,234.50"
    assert unit_price(Decimal("0.0035")) == "¥0.0035"
    assert unit_price(Decimal("12.3450")) == "¥12.345"
    assert money(Decimal("0.0035")) == "¥0.00"  # an amount stays in cents
