"""Reading ``.csv`` and ``.xlsx`` files into numbered rows of text, for the importers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook

from core.common import ImportFailed

Row = dict[str, str]


def read_rows(path: Path, required_header: tuple[str, ...]) -> list[tuple[int, Row]]:
    """Rows as (line number in the file, {column: text}); blank rows are skipped."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = list(_csv_rows(path))
    elif suffix == ".xlsx":
        raw = list(_xlsx_rows(path))
    else:
        raise ImportFailed([f"{path.name}：只支持 .csv 或 .xlsx 文件"])
    if not raw:
        raise ImportFailed([f"{path.name}：文件是空的"])
    header = [cell.strip().lower() for cell in raw[0]]
    missing = [name for name in required_header if name not in header]
    if missing:
        raise ImportFailed(
            [f"第 1 行：缺少列 {', '.join(missing)}（表头应为 {','.join(required_header)}）"]
        )
    rows = []
    for line_no, cells in enumerate(raw[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        padded = cells + [""] * (len(header) - len(cells))
        rows.append((line_no, {name: padded[i].strip() for i, name in enumerate(header)}))
    return rows


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle)
    except UnicodeDecodeError as error:
        raise ImportFailed([f"{path.name}：不是 UTF-8 编码的 CSV（请另存为 UTF-8）"]) from error


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield ["" if v is None else _cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    # Excel hands back floats for numeric cells; repr keeps 2.5 as "2.5", not 2.4999….
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)
