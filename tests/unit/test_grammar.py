"""Reading typed commands: quantities, prices, dates, options and multi-line orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.common import InvalidInput
from handlers.doc_filters import period_days
from handlers.grammar import (
    PRICE,
    ItemLine,
    Spec,
    parse_date,
    parse_quantity,
    parse_request,
    split_item,
)

SELL = Spec("销售 可乐 2", PRICE | {"客户", "仓库", "批号"})
RECEIVE = Spec("入库 可乐 24", PRICE | {"批号", "到期", "供应商"})
WRITE_OFF = Spec("报损 可乐 2 过期", frozenset({"仓库"}), note=True)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("24", (Decimal(24), None)),
        ("24瓶", (Decimal(24), "瓶")),
        ("1.5kg", (Decimal("1.5"), "kg")),
        ("-1", (Decimal(-1), None)),
        ("0.125", (Decimal("0.125"), None)),
        ("abc", None),
        ("瓶24", None),
        ("1.2.3", None),
    ],
)
def test_quantity_tokens(token: str, expected: tuple[Decimal, str | None] | None) -> None:
    assert parse_quantity(token, "例") == expected


def test_quantities_are_decimal_never_float() -> None:
    parsed = parse_quantity("0.1", "例")
    assert parsed is not None and type(parsed[0]) is Decimal and parsed[0] == Decimal("0.1")


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["可乐", "2"], ("可乐", Decimal(2), None, [])),
        (["红富士", "苹果", "1.5kg"], ("红富士 苹果", Decimal("1.5"), "kg", [])),
        (["可乐24瓶"], ("可乐", Decimal(24), "瓶", [])),
        (["7喜3"], ("7喜", Decimal(3), None, [])),
        (["可乐330ml2"], ("可乐330ml", Decimal(2), None, [])),
        (["可乐", "2", "过期", "了"], ("可乐", Decimal(2), None, ["过期", "了"])),
    ],
)
def test_item_name_is_the_words_before_the_number(
    tokens: list[str], expected: tuple[str, Decimal, str | None, list[str]]
) -> None:
    assert split_item(tokens, "例") == expected


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([], "缺少商品和数量"),
        (["可乐"], "缺少数量"),
        (["可乐", "abc"], "数量“abc”不是有效的数字"),
        (["000"], "缺少数量"),
    ],
)
def test_item_without_a_usable_number_is_refused(tokens: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        split_item(tokens, "例")


def test_multi_line_order_with_header_options_and_prices() -> None:
    request = parse_request("客户张三: 可乐 2 @3.5, 雪碧 3；红富士苹果 1.5kg ¥12", SELL)
    assert request.options == {"客户": "张三"}
    assert request.lines == (
        ItemLine("可乐", Decimal(2), price=Decimal("3.5")),
        ItemLine("雪碧", Decimal(3)),
        ItemLine("红富士苹果", Decimal("1.5"), "kg", price=Decimal(12)),
    )


@pytest.mark.parametrize("price", ["@3.5", "@ 3.5", "单价3.5", "单价 3.5", "¥3.5", "单价¥3.5元"])
def test_every_price_form_reads_the_same(price: str) -> None:
    assert parse_request(f"可乐 2 {price}", SELL).lines[0].price == Decimal("3.5")


def test_receipt_line_options_and_full_width_text() -> None:
    request = parse_request("可乐 ２４ 批号L1 到期 2027/1/31 供应商 可口可乐", RECEIVE)
    assert request.lines[0] == ItemLine("可乐", Decimal(24), lot="L1", expiry=date(2027, 1, 31))
    assert request.options == {"供应商": "可口可乐"}


def test_trailing_words_are_the_note_only_where_the_command_takes_one() -> None:
    assert parse_request("可乐 2 过期 破损", WRITE_OFF).note == "过期 破损"
    with pytest.raises(InvalidInput, match="看不懂“过期”"):
        parse_request("可乐 2 过期", SELL)


@pytest.mark.parametrize("text", ["可乐 2 原因:破损", "可乐 2 原因：破损", "可乐2 原因: 破损"])
def test_a_colon_inside_a_note_stays_in_the_note(text: str) -> None:
    request = parse_request(text, WRITE_OFF)
    assert request.lines == (ItemLine("可乐", Decimal(2)),)
    assert request.options == {}
    assert request.note == "破损"


def test_a_colon_after_options_still_opens_a_multi_line_order() -> None:
    request = parse_request("仓库 B1: 可乐 2 原因:破损, 雪碧 1", WRITE_OFF)
    assert request.options == {"仓库": "B1"}
    assert [line.name for line in request.lines] == ["可乐", "雪碧"]
    assert request.note == "破损"


def test_an_option_written_with_a_colon_reads_like_one_without() -> None:
    assert parse_request("可乐 2 客户:张三", SELL).options == {"客户": "张三"}


def test_options_a_command_does_not_take_are_not_read_as_options() -> None:
    with pytest.raises(InvalidInput, match="看不懂“到期 2027-01-31”"):
        parse_request("可乐 2 到期 2027-01-31", SELL)


@pytest.mark.parametrize("text", ["2027-13-01", "2027-02-30", "明天", "20270231"])
def test_invalid_dates_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(InvalidInput, match="请写成 2027-01-31"):
        parse_date(text, "例")


@pytest.mark.parametrize(
    ("word", "first", "end"),
    [
        ("今天", date(2026, 11, 26), date(2026, 11, 27)),
        ("昨天", date(2026, 11, 25), date(2026, 11, 26)),
        ("本周", date(2026, 11, 23), date(2026, 11, 27)),
        ("本月", date(2026, 11, 1), date(2026, 11, 27)),
        ("2026-11-01~2026-11-20", date(2026, 11, 1), date(2026, 11, 21)),
        ("2026-11-05", date(2026, 11, 5), date(2026, 11, 6)),
    ],
)
def test_document_periods_are_shop_calendar_days(word: str, first: date, end: date) -> None:
    assert period_days(word, date(2026, 11, 26)) == (first, end)
