"""Writing report tables to ``.xlsx`` or ``.csv``, one row at a time, in flat memory.

XLSX goes through XlsxWriter in ``constant_memory`` mode: each row is written to a temporary
file as soon as the next one starts, so a million rows cost what a hundred do. It writes about
twice as many rows a second as openpyxl's write-only mode on this machine, and openpyxl stays
the reader (imports, tests). A sheet holds at most 1,048,576 rows; a longer table continues on
``<name>(2)``, ``<name>(3)``, each with the header again.

Cells: money as numbers rounded to two places with format ``0.00``, unit prices with the
places below a cent they have (``0.00##``: ¥0.0035 a gram would read 0.00); quantities as numbers;
instants in shop time as Excel date-times; CSV gets the same values as text (UTF-8 with a BOM,
which Excel needs to read Chinese).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from core.common import InvalidInput, exact_price

CENT = Decimal("0.01")
XLSX_MAX_ROWS = 1_048_576
SUFFIXES = (".xlsx", ".csv")


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    QTY = "qty"
    MONEY = "money"
    PRICE = "price"
    RATE = "rate"
    INSTANT = "instant"
    DAY = "day"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int = 12


Cell = str | int | Decimal | datetime | date | None


class Sheet(Protocol):
    def write(self, row: Sequence[Cell]) -> None: ...


class Book(Protocol):
    def sheet(self, name: str, columns: Sequence[Column]) -> Sheet: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def open_book(path: Path, tz: ZoneInfo) -> Book:
    """A workbook writer chosen by the file's extension; the folder must be writable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"{path.name}：只能导出为 .xlsx 或 .csv")
    if not path.parent.is_dir():
        raise InvalidInput(f"无法写入 {path}：目录 {path.parent} 不存在")
    try:
        with path.open("ab"):
            pass
    except OSError as error:
        raise InvalidInput(f"无法写入 {path}：{error.strerror or error}") from None
    return XlsxBook(path, tz) if suffix == ".xlsx" else CsvBook(path, tz)


class _Closing:
    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class XlsxBook(_Closing):
    def __init__(self, path: Path, tz: ZoneInfo) -> None:
        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "remove_timezone": True}
        )
        self._tz = tz
        self._formats = {
            Kind.QTY: self._book.add_format({"num_format": "0.###"}),
            Kind.MONEY: self._book.add_format({"num_format": "0.00"}),
            Kind.PRICE: self._book.add_format({"num_format": "0.00##"}),
            Kind.RATE: self._book.add_format({"num_format": "0.0%"}),
            Kind.INSTANT: self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            Kind.DAY: self._book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        self._header = self._book.add_format({"bold": True, "bg_color": "#E8EEF7"})

    def sheet(self, name: str, columns: Sequence[Column]) -> Sheet:
        return _XlsxSheet(self, name, columns)

    def add_worksheet(self, name: str, columns: Sequence[Column]) -> Worksheet:
        sheet = self._book.add_worksheet(name[:31])
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.write_row(0, 0, [c.header for c in columns], self._header)
        sheet.freeze_panes(1, 0)
        return sheet

    def cell_writer(self, kind: Kind) -> Callable[[Worksheet, int, int, Any], None]:
        fmt = self._formats.get(kind)
        tz = self._tz
        if kind in (Kind.QTY, Kind.INT, Kind.PRICE):
            return _number(fmt)
        if kind is Kind.MONEY:
            return _money(fmt)
        if kind is Kind.RATE:
            return _number(fmt)
        if kind is Kind.INSTANT:
            assert fmt is not None
            return _instant(fmt, tz)
        if kind is Kind.DAY:
            assert fmt is not None
            return _day(fmt)
        return _text

    def close(self) -> None:
        self._book.close()


def _text(sheet: Worksheet, row: int, col: int, value: Any) -> None:
    if value is not None and value != "":
        sheet.write_string(row, col, str(value))


def _number(fmt: Format | None) -> Callable[[Worksheet, int, int, Any], None]:
    def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_number(row, col, float(value), fmt)

    return write


def _money(fmt: Format | None) -> Callable[[Worksheet, int, int, Any], None]:
    def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_number(row, col, float(money(value)), fmt)

    return write


def _instant(fmt: Format, tz: ZoneInfo) -> Callable[[Worksheet, int, int, Any], None]:
    def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_datetime(row, col, value.astimezone(tz).replace(tzinfo=None), fmt)

    return write


def _day(fmt: Format) -> Callable[[Worksheet, int, int, Any], None]:
    def write(sheet: Worksheet, row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), fmt)

    return write


class _XlsxSheet:
    def __init__(self, book: XlsxBook, name: str, columns: Sequence[Column]) -> None:
        self._book = book
        self._name = name
        self._columns = columns
        self._writers = list(enumerate(book.cell_writer(c.kind) for c in columns))
        self._parts = 1
        self._sheet = book.add_worksheet(name, columns)
        self._row = 1

    def write(self, row: Sequence[Cell]) -> None:
        if self._row == XLSX_MAX_ROWS:
            self._parts += 1
            self._sheet = self._book.add_worksheet(f"{self._name}({self._parts})", self._columns)
            self._row = 1
        sheet, index = self._sheet, self._row
        for col, write in self._writers:
            write(sheet, index, col, row[col])
        self._row = index + 1


class CsvBook(_Closing):
    """One table per file: a second sheet goes to ``<stem>-<sheet>.csv`` beside the first."""

    def __init__(self, path: Path, tz: ZoneInfo) -> None:
        self._path = path
        self._tz = tz
        self._files: list[IO[str]] = []

    def sheet(self, name: str, columns: Sequence[Column]) -> Sheet:
        path = self._path if not self._files else self._path.with_stem(f"{self._path.stem}-{name}")
        handle = path.open("w", encoding="utf-8-sig", newline="")
        self._files.append(handle)
        return _CsvSheet(handle, columns, self._tz)

    def close(self) -> None:
        for handle in self._files:
            handle.close()


class _CsvSheet:
    def __init__(self, handle: IO[str], columns: Sequence[Column], tz: ZoneInfo) -> None:
        self._out = csv.writer(handle)
        self._out.writerow([c.header for c in columns])
        self._formats = [_csv_format(c.kind, tz) for c in columns]

    def write(self, row: Sequence[Cell]) -> None:
        self._out.writerow([fmt(value) for fmt, value in zip(self._formats, row, strict=True)])


def _csv_format(kind: Kind, tz: ZoneInfo) -> Callable[[Any], str]:
    def blank(convert: Callable[[Any], str]) -> Callable[[Any], str]:
        return lambda value: "" if value is None else convert(value)

    if kind is Kind.MONEY:
        return blank(lambda v: f"{money(v):f}")
    if kind is Kind.PRICE:
        return blank(lambda v: f"{exact_price(v):f}")
    if kind is Kind.QTY:
        return blank(lambda v: f"{Decimal(v).normalize():f}")
    if kind is Kind.RATE:
        return blank(lambda v: f"{Decimal(v) * 100:.1f}%")
    if kind is Kind.INSTANT:
        return blank(lambda v: v.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"))
    if kind is Kind.DAY:
        return blank(lambda v: v.isoformat())
    return blank(str)


def write_all(sheet: Sheet, rows: Iterable[Sequence[Cell]]) -> int:
    count = 0
    for row in rows:
        sheet.write(row)
        count += 1
    return count
