"""``jxc import documents``: an old system's history, posted as it happened, all or nothing.

Rows sharing ``doc_no`` form one document. A transfer has negative rows at the source
warehouse and positive rows at the destination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from core import ledger
from core.common import DocType, DomainError, ImportFailed, parse_instant
from core.importer.rows import RowErrors, decimal_text
from core.importer.tables import Row, read_rows
from core.ledger import COMMANDS, DocumentCommand, Line, Transfer
from core.storage import Document, Item, UnitOfWork, Warehouse

DOCUMENT_HEADER = ("doc_no", "type", "posted_at", "warehouse", "user", "sku", "qty")
# Issues name a department and productions carry their BOM: both come only from their commands.
NOT_IMPORTABLE = frozenset({DocType.ADJUSTMENT, DocType.ISSUE, DocType.PRODUCTION})
IMPORTABLE_TYPES = {t.value for t in DocType if t not in NOT_IMPORTABLE}


@dataclass
class DocumentDraft:
    number: str
    type: str
    posted_at: datetime
    user: str
    partner: str
    lines: list[tuple[str, str, Line]]  # (warehouse, sku, line)
    first_line: int


async def import_documents(uow: UnitOfWork, path: Path, actor: str) -> int:
    rows = read_rows(path, DOCUMENT_HEADER)
    errors = RowErrors()
    drafts = _drafts(rows, errors, uow)
    await _check_references(uow, drafts, errors)
    errors.raise_if_any()
    ordered = sorted(drafts.values(), key=lambda d: (d.posted_at, d.first_line))
    for draft in ordered:
        try:
            await ledger.submit(uow, _command(draft), enforce_policy=False)
        except DomainError as error:
            raise ImportFailed(
                [f"第 {draft.first_line} 行 单据 {draft.number}：{error.message}"]
            ) from error
    uow.record(actor, "import.documents", f"file:{path.name}", {"documents": len(ordered)})
    return len(ordered)


def _drafts(
    rows: list[tuple[int, Row]], errors: RowErrors, uow: UnitOfWork
) -> dict[str, DocumentDraft]:
    drafts: dict[str, DocumentDraft] = {}
    for line_no, row in rows:
        doc_type = row["type"].lower()
        if doc_type not in IMPORTABLE_TYPES:
            errors.add(line_no, f"type “{row['type']}” 应为 {', '.join(sorted(IMPORTABLE_TYPES))}")
        posted_at = errors.parse(
            line_no, "posted_at", row["posted_at"], lambda t: parse_instant(t, uow.tz)
        )
        qty = errors.parse(line_no, "qty", row["qty"], decimal_text)
        price = (
            errors.parse(line_no, "price", row["price"], decimal_text) if row.get("price") else None
        )
        expiry = (
            errors.parse(line_no, "expiry", row["expiry"], date.fromisoformat)
            if row.get("expiry")
            else None
        )
        if not row["doc_no"] or not row["sku"] or not row["warehouse"]:
            errors.add(line_no, "doc_no、sku、warehouse 必填")
        if posted_at is None or qty is None:
            continue
        draft = drafts.setdefault(
            row["doc_no"],
            DocumentDraft(
                row["doc_no"],
                doc_type,
                posted_at,
                row["user"] or "import",
                row.get("partner", ""),
                [],
                line_no,
            ),
        )
        if (draft.type, draft.posted_at, draft.user) != (
            doc_type,
            posted_at,
            row["user"] or "import",
        ):
            errors.add(
                line_no,
                f"单据 {draft.number} 的 type/posted_at/user 与第 {draft.first_line} 行不一致",
            )
        line = Line(row["sku"], qty, price, row.get("lot") or None, expiry)
        draft.lines.append((row["warehouse"].upper(), row["sku"], line))
    return drafts


async def _check_references(
    uow: UnitOfWork, drafts: dict[str, DocumentDraft], errors: RowErrors
) -> None:
    skus = {sku for d in drafts.values() for _, sku, _ in d.lines}
    codes = {wh for d in drafts.values() for wh, _, _ in d.lines}
    known_skus = set(await uow.session.scalars(select(Item.sku).where(Item.sku.in_(skus))))
    known_codes = set(
        await uow.session.scalars(select(Warehouse.code).where(Warehouse.code.in_(codes)))
    )
    taken = set(
        await uow.session.scalars(select(Document.number).where(Document.number.in_(drafts)))
    )
    for draft in drafts.values():
        if draft.number in taken:
            errors.add(draft.first_line, f"单据号 {draft.number} 已存在")
        for warehouse, sku, _ in draft.lines:
            if sku not in known_skus:
                errors.add(
                    draft.first_line, f"单据 {draft.number}：商品 {sku} 不存在，请先导入商品"
                )
            if warehouse not in known_codes:
                errors.add(draft.first_line, f"单据 {draft.number}：仓库 {warehouse} 不存在")
        if draft.type == DocType.TRANSFER and len({wh for wh, _, _ in draft.lines}) != 2:
            errors.add(
                draft.first_line, f"调拨单 {draft.number} 应有调出（负数）和调入（正数）两个仓库"
            )
        elif draft.type != DocType.TRANSFER and len({wh for wh, _, _ in draft.lines}) != 1:
            errors.add(draft.first_line, f"单据 {draft.number} 的所有行应属于同一个仓库")


def _command(draft: DocumentDraft) -> DocumentCommand:
    common = {
        "actor": draft.user,
        "partner": draft.partner or None,
        "posted_at": draft.posted_at,
        "number": draft.number,
        "note": "历史导入",
    }
    if draft.type == DocType.TRANSFER:
        source = next(wh for wh, _, line in draft.lines if line.qty < 0)
        destination = next(wh for wh, _, line in draft.lines if line.qty > 0)
        lines = tuple(
            Line(ln.item, -ln.qty, ln.price, ln.lot, ln.expiry)
            for wh, _, ln in draft.lines
            if wh == source
        )
        return Transfer(warehouse=source, to_warehouse=destination, lines=lines, **common)  # type: ignore[arg-type]
    warehouse = draft.lines[0][0]
    return COMMANDS[DocType(draft.type)](
        warehouse=warehouse,
        lines=tuple(ln for _, _, ln in draft.lines),
        **common,  # type: ignore[arg-type]
    )
