"""How replies read: money with ¥ and two places (a unit price with the four it may have),
quantities with units, long texts in parts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# WeCom refuses text and markdown messages over 2048 bytes of UTF-8 (a Chinese character is 3).
MAX_MESSAGE_BYTES = 2048
CONTINUED = "（续 {part}/{parts}）\n"


def money(value: Decimal) -> str:
    return f"¥{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def exact_price(value: Decimal) -> Decimal:
    """A unit price in cents, or with the places below a cent it has (¥0.0035 a gram): in
    cents it would read ¥0.00. 3.5000 → 3.50, 12.3450 → 12.345."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return cents if cents == value else value.normalize()


def unit_price(value: Decimal) -> str:
    return f"¥{exact_price(value):,f}"


def plain_qty(value: Decimal) -> str:
    """``24.0000`` → ``24``, ``1.5000`` → ``1.5``."""
    normalized = value.normalize()
    text = f"{normalized:f}"
    return "0" if text in ("-0", "") else text


def qty_text(value: Decimal, unit: str) -> str:
    return f"{plain_qty(value)} {unit}"


def split_message(text: str, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
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
