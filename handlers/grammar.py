"""Reading what staff type: item lines with quantities, prices, lots, dates and options.

``销售 客户张三: 可乐 2 @3.5, 雪碧 3`` → options ``{"客户": "张三"}`` and two lines. Options are
``关键字 值`` or glued ``关键字值``; text is NFKC-normalised first, so full-width digits and
punctuation (``２４``, ``：``, ``，``, ``￥``) read like their ASCII forms. Numbers are ``Decimal``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.common import InvalidInput

NUMBER = r"[-+]?\d+(?:\.\d+)?"
QTY_TOKEN = re.compile(rf"({NUMBER})([^\d\s.]*)")
# ``可乐24瓶``: the name must end in a non-digit so ``000`` or ``A4`` alone are not split oddly.
GLUED = re.compile(rf"(.*[^\d.+\-\s])({NUMBER})([^\d.\s]*)")
DATE = re.compile(r"(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})")
SEPARATORS = re.compile(r"[,;\n]+")
# A value this large is a typo, and would not fit the ledger's fixed-point columns.
MAX_INTEGER_DIGITS = 10
PRICE_WORDS = ("单价", "@", "¥")
PRICE = frozenset(PRICE_WORDS)
LINE_WORDS = frozenset({*PRICE_WORDS, "批号", "到期"})
# ``报损 可乐 2 原因:破损`` and ``报损 可乐 2 破损`` record the same note.
NOTE_LABEL = re.compile(r"^原因\s*:?\s*")


@dataclass(frozen=True)
class Spec:
    """What one command accepts: its example, option keywords, and whether it takes a note."""

    example: str
    options: frozenset[str] = frozenset()
    note: bool = False


@dataclass(frozen=True)
class ItemLine:
    name: str
    qty: Decimal
    unit: str | None = None
    price: Decimal | None = None
    lot: str | None = None
    expiry: date | None = None


@dataclass(frozen=True)
class Request:
    lines: tuple[ItemLine, ...]
    options: dict[str, str] = field(default_factory=dict)
    note: str = ""


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_number(text: str, what: str, example: str) -> Decimal:
    if not re.fullmatch(NUMBER, text):
        raise InvalidInput(f"{what}“{text}”不是有效的数字，例如：{example}")
    value = Decimal(text)
    if value != 0 and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidInput(f"{what}“{text}”太大了，例如：{example}")
    return value


def parse_price(text: str, example: str) -> Decimal:
    """``3.5``, ``3.5元``, or ``¥3.5`` (after ``单价``)."""
    return parse_number(text.lstrip("@¥").removesuffix("元"), "单价", example)


def parse_quantity(
    token: str, example: str, what: str = "数量"
) -> tuple[Decimal, str | None] | None:
    """``24瓶`` → (24, "瓶"); ``-1`` → (-1, None); not a quantity → None."""
    match = QTY_TOKEN.fullmatch(token)
    if match is None:
        return None
    return parse_number(match[1], what, example), match[2] or None


def parse_date(text: str, example: str) -> date:
    match = DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidInput(f"日期“{text}”无效，请写成 2027-01-31，例如：{example}") from None


def parse_request(args: str, spec: Spec) -> Request:
    """Parse ``[options:] line, line, …``; each line is ``name qty [line options] [note]``."""
    header, body = _split_header(normalize(args), spec)
    options: dict[str, str] = {}
    _header_options(header.split(), spec, options)
    lines, notes = [], []
    for segment in SEPARATORS.split(body):
        if segment.strip():
            line, note = _parse_line(segment.split(), spec, options)
            lines.append(line)
            notes.extend(note)
    if not lines:
        raise InvalidInput(f"缺少商品和数量，例如：{spec.example}")
    return Request(tuple(lines), options, NOTE_LABEL.sub("", " ".join(notes)))


def _split_header(text: str, spec: Spec) -> tuple[str, str]:
    """``客户张三: 可乐 2`` → header and body; a colon after an item's quantity is in its note.

    ``报损 可乐 2 原因:破损`` has no header: what precedes its colon holds a quantity, so the
    colon belongs to the line (a header holds only options).
    """
    header, colon, body = text.partition(":")
    if not colon:
        return "", text
    tokens = header.split()
    if any(QTY_TOKEN.fullmatch(token) for token in tokens):
        return "", text
    try:
        _, rest = split_options(tokens, spec.options - LINE_WORDS, spec.example)
    except InvalidInput:
        return header, body  # a malformed header: refused with its own message later
    if any(GLUED.fullmatch(token) for token in rest):
        return "", text
    return header, body


def split_options(
    tokens: list[str], keywords: frozenset[str], example: str
) -> tuple[dict[str, str], list[str]]:
    """Pull ``关键字 值`` / ``关键字值`` pairs out of ``tokens``; return them and the rest."""
    found: dict[str, str] = {}
    rest: list[str] = []
    ordered = sorted(keywords, key=len, reverse=True)
    i = 0
    while i < len(tokens):
        keyword = next((k for k in ordered if tokens[i].startswith(k)), None)
        if keyword is None:
            rest.append(tokens[i])
            i += 1
            continue
        value = tokens[i][len(keyword) :].lstrip(":")
        if not value and i + 1 < len(tokens):
            i += 1
            value = tokens[i]
        if not value:
            raise InvalidInput(f"“{keyword}”后面缺少内容，例如：{example}")
        name = "单价" if keyword in PRICE_WORDS else keyword
        if name in found:
            raise InvalidInput(f"“{name}”写了两次，例如：{example}")
        found[name] = value
        i += 1
    return found, rest


def split_item(
    tokens: list[str], example: str, what: str = "数量"
) -> tuple[str, Decimal, str | None, list[str]]:
    """``可乐 2 过期`` → ("可乐", 2, None, ["过期"]); the name is the words before the number."""
    if not tokens:
        raise InvalidInput(f"缺少商品和{what}，例如：{example}")
    for i in range(1, len(tokens)):
        if (number := parse_quantity(tokens[i], example, what)) is not None:
            return " ".join(tokens[:i]), number[0], number[1], tokens[i + 1 :]
    if glued := GLUED.fullmatch(tokens[0]):
        return glued[1], parse_number(glued[2], what, example), glued[3] or None, tokens[1:]
    if len(tokens) == 1:
        raise InvalidInput(f"缺少{what}，例如：{example}")
    raise InvalidInput(f"{what}“{tokens[1]}”不是有效的数字，例如：{example}")


def _header_options(tokens: list[str], spec: Spec, options: dict[str, str]) -> None:
    found, rest = split_options(tokens, spec.options - LINE_WORDS, spec.example)
    if rest:
        raise InvalidInput(f"冒号前只能写 客户、仓库 等选项，看不懂“{' '.join(rest)}”")
    options.update(found)


def _parse_line(
    tokens: list[str], spec: Spec, options: dict[str, str]
) -> tuple[ItemLine, list[str]]:
    found, rest = split_options(tokens, spec.options, spec.example)
    for keyword in found.keys() - LINE_WORDS:
        if keyword in options and options[keyword] != found[keyword]:
            raise InvalidInput(f"“{keyword}”写了两个不同的值，例如：{spec.example}")
        options[keyword] = found[keyword]
    name, qty, unit, trailing = split_item(rest, spec.example)
    if trailing and not spec.note:
        raise InvalidInput(f"看不懂“{' '.join(trailing)}”，例如：{spec.example}")
    price = found.get("单价")
    line = ItemLine(
        name=name,
        qty=qty,
        unit=unit,
        price=None if price is None else parse_price(price, spec.example),
        lot=found.get("批号"),
        expiry=None if "到期" not in found else parse_date(found["到期"], spec.example),
    )
    return line, trailing
