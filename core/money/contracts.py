"""Contracts with partners: imported, cited by documents, executed against their amount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.common import DocStatus, InvalidInput, NotFound
from core.money.amounts import SIDE_OF, document_amount
from core.money.tables import Contract, DocumentContract
from core.storage import Document, DocumentLine, Partner, UnitOfWork


async def by_number(uow: UnitOfWork, contract_no: str) -> Contract:
    contract = await uow.session.scalar(
        select(Contract).where(Contract.contract_no == contract_no.strip().upper())
    )
    if contract is None:
        raise NotFound(f"没有合同 {contract_no}，请检查合同号，例如：合同 HT-2026-001")
    return contract


async def check_citation(uow: UnitOfWork, contract_no: str, partner: Partner | None) -> None:
    contract = await by_number(uow, contract_no)
    if partner is None or contract.partner_id != partner.id:
        owner = await uow.session.get_one(Partner, contract.partner_id)
        raise InvalidInput(
            f"合同 {contract.contract_no} 是与 {owner.name} 签的，与单据的往来单位不符"
        )


async def cite(uow: UnitOfWork, document_id: int, contract_no: str) -> None:
    contract = await by_number(uow, contract_no)
    uow.session.add(DocumentContract(document_id=document_id, contract_id=contract.id))
    await uow.session.flush()


@dataclass(frozen=True)
class ContractView:
    contract_no: str
    partner: str
    starts_on: date
    ends_on: date
    amount: Decimal
    executed: Decimal
    documents: tuple[tuple[str, Decimal], ...]
    terms: str

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.executed


async def contract_view(uow: UnitOfWork, contract_no: str) -> ContractView:
    """The contract with the posted documents citing it (returns count against it)."""
    contract = await by_number(uow, contract_no)
    partner = await uow.session.get_one(Partner, contract.partner_id)
    docs = await uow.session.execute(
        select(Document.id, Document.number, Document.type)
        .join(DocumentContract, DocumentContract.document_id == Document.id)
        .where(DocumentContract.contract_id == contract.id, Document.status == DocStatus.POSTED)
        .order_by(Document.posted_at, Document.id)
    )
    rows = []
    for doc_id, number, doc_type in docs.all():
        if doc_type not in {t.value for t in SIDE_OF}:
            continue
        lines = await uow.session.execute(
            select(DocumentLine.qty, DocumentLine.price).where(DocumentLine.document_id == doc_id)
        )
        rows.append((number, document_amount(doc_type, [(q, p) for q, p in lines.all()])))
    return ContractView(
        contract.contract_no,
        partner.name,
        contract.starts_on,
        contract.ends_on,
        contract.amount,
        sum((amount for _, amount in rows), Decimal(0)),
        tuple(rows),
        contract.terms,
    )
