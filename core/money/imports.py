"""``jxc import partners|prices|contracts``: .csv/.xlsx, all or nothing, errors by line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import or_, select

from core import importer
from core.money import partners
from core.money.partners import KINDS, PartnerFields
from core.money.tables import Contract, ListPrice
from core.storage import Item, Partner, UnitOfWork

PARTNER_HEADER = ("code", "name", "kind")
PRICE_HEADER = ("price_list", "sku", "price")
CONTRACT_HEADER = ("contract_no", "partner", "start", "end", "amount")


async def import_partners(uow: UnitOfWork, path: Path, actor: str) -> tuple[int, int]:
    """Upsert by code, else by name and kind (one first seen on a document) → (new, updated)."""
    errors = importer.RowErrors()
    parsed: list[tuple[int, PartnerFields]] = []
    seen: set[str] = set()
    for line_no, row in importer.read_rows(path, PARTNER_HEADER):
        kind = row.get("kind", "").lower()
        if not row.get("code") or not row.get("name"):
            errors.add(line_no, "code 和 name 必填")
        if kind not in KINDS:
            errors.add(line_no, f"kind 只能是 customer、supplier 或 both（收到 {kind or '空'}）")
        if row.get("code", "") in seen:
            errors.add(line_no, f"code {row['code']} 在文件中重复")
        seen.add(row.get("code", ""))
        limit = None
        if row.get("credit_limit"):
            limit = errors.parse(
                line_no, "credit_limit", row["credit_limit"], importer.decimal_text
            )
            if limit is not None and limit < 0:
                errors.add(line_no, "credit_limit 不能为负数")
        terms = 0
        if row.get("payment_terms_days"):
            terms = errors.parse(line_no, "payment_terms_days", row["payment_terms_days"], int) or 0
            if terms < 0:
                errors.add(line_no, "payment_terms_days 不能为负数")
        parsed.append(
            (
                line_no,
                PartnerFields(
                    name=row.get("name", ""),
                    kind=kind,
                    code=row.get("code") or None,
                    phone=row.get("phone", ""),
                    contact=row.get("contact", ""),
                    credit_limit=limit,
                    payment_terms_days=terms,
                    price_list=row.get("price_list") or None,
                ),
            )
        )
    errors.raise_if_any()
    created = 0
    for line_no, fields in parsed:
        partner = await _existing(uow, fields, errors, line_no)
        if partner is None:
            partner = Partner(kind=fields.kind, name=fields.name)
            uow.session.add(partner)
            created += 1
        partners.apply(partner, fields)
    errors.raise_if_any()
    await uow.session.flush()
    uow.record(actor, "import.partners", f"file:{path.name}", {"rows": len(parsed), "new": created})
    return created, len(parsed) - created


async def _existing(
    uow: UnitOfWork, fields: PartnerFields, errors: importer.RowErrors, line_no: int
) -> Partner | None:
    by_code = await uow.session.scalar(select(Partner).where(Partner.code == fields.code))
    if by_code is not None:
        return by_code
    kinds = ("customer", "supplier", "both") if fields.kind == "both" else (fields.kind, "both")
    named = (
        await uow.session.scalars(
            select(Partner).where(Partner.name == fields.name, Partner.kind.in_(kinds))
        )
    ).all()
    if len(named) > 1:
        errors.add(
            line_no,
            f"{fields.name} 已分别作为客户和供应商存在，请分别以 customer 和 supplier 导入",
        )
        return None
    return named[0] if named else None


async def import_prices(uow: UnitOfWork, path: Path, actor: str) -> int:
    """Rows ``price_list,sku,price[,min_qty]``; a row for a list, sku and min_qty replaces it."""
    errors = importer.RowErrors()
    rows = importer.read_rows(path, PRICE_HEADER)
    skus = {row.get("sku", "") for _, row in rows}
    items = {i.sku: i for i in await uow.session.scalars(select(Item).where(Item.sku.in_(skus)))}
    parsed: dict[tuple[str, int, Decimal], Decimal] = {}
    for line_no, row in rows:
        item = items.get(row.get("sku", ""))
        if item is None:
            errors.add(line_no, f"没有编码为 {row.get('sku') or '空'} 的商品（请先导入商品）")
        if not row.get("price_list"):
            errors.add(line_no, "price_list 必填")
        price = errors.parse(line_no, "price", row.get("price", ""), importer.decimal_text)
        if price is not None and price < 0:
            errors.add(line_no, "price 不能为负数")
        min_qty = Decimal(0)
        if row.get("min_qty"):
            min_qty = errors.parse(
                line_no, "min_qty", row["min_qty"], importer.decimal_text
            ) or Decimal(0)
            if min_qty < 0:
                errors.add(line_no, "min_qty 不能为负数")
        if item is not None and price is not None:
            key = (row["price_list"], item.id, min_qty)
            if key in parsed:
                errors.add(line_no, f"{row['price_list']} {item.sku} 起订量 {min_qty} 重复")
            parsed[key] = price
    errors.raise_if_any()
    existing = {
        (lp.price_list, lp.item_id, lp.min_qty): lp
        for lp in await uow.session.scalars(
            select(ListPrice).where(ListPrice.price_list.in_({k[0] for k in parsed}))
        )
    }
    for (price_list, item_id, min_qty), price in parsed.items():
        current = existing.get((price_list, item_id, min_qty))
        if current is None:
            uow.session.add(
                ListPrice(price_list=price_list, item_id=item_id, min_qty=min_qty, price=price)
            )
        else:
            current.price = price
    await uow.session.flush()
    uow.record(actor, "import.prices", f"file:{path.name}", {"rows": len(parsed)})
    return len(parsed)


async def import_contracts(uow: UnitOfWork, path: Path, actor: str) -> int:
    errors = importer.RowErrors()
    rows = importer.read_rows(path, CONTRACT_HEADER)
    contracts: list[Contract] = []
    for line_no, row in rows:
        name = row.get("partner", "")
        partner = await uow.session.scalar(
            select(Partner).where(or_(Partner.code == name, Partner.name == name)).limit(1)
        )
        if partner is None:
            errors.add(line_no, f"没有往来单位 {name or '空'}（请先导入 partners）")
        start = errors.parse(line_no, "start", row.get("start", ""), date.fromisoformat)
        end = errors.parse(line_no, "end", row.get("end", ""), date.fromisoformat)
        if start and end and end < start:
            errors.add(line_no, "end 早于 start")
        amount = errors.parse(line_no, "amount", row.get("amount", ""), importer.decimal_text)
        if amount is not None and amount <= 0:
            errors.add(line_no, "amount 必须大于 0")
        number = row.get("contract_no", "").upper()
        if not number:
            errors.add(line_no, "contract_no 必填")
        elif await uow.session.scalar(select(Contract.id).where(Contract.contract_no == number)):
            errors.add(line_no, f"合同 {number} 已存在")
        if partner and start and end and amount is not None and number:
            contracts.append(
                Contract(
                    contract_no=number,
                    partner_id=partner.id,
                    starts_on=start,
                    ends_on=end,
                    amount=amount,
                    terms=row.get("terms", ""),
                )
            )
    if len({c.contract_no for c in contracts}) != len(contracts):
        errors.add(1, "文件中有重复的 contract_no")
    errors.raise_if_any()
    uow.session.add_all(contracts)
    await uow.session.flush()
    uow.record(actor, "import.contracts", f"file:{path.name}", {"rows": len(contracts)})
    return len(contracts)
