"""Reading the receivables and payables: ageing, a partner's statement, a partner's card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.money import partners
from core.money.amounts import PARTNER_KIND_OF_SIDE
from core.money.partners import PartnerFields
from core.money.tables import PartnerItem
from core.storage import Document, Partner, UnitOfWork

# Age in days since posting: 0–30, 31–60, 61–90, over 90.
BUCKET_LIMITS = (30, 60, 90)
RECENT_DOCUMENTS = 5


@dataclass(frozen=True)
class AgeingRow:
    code: str | None
    name: str
    balance: Decimal
    buckets: tuple[Decimal, Decimal, Decimal, Decimal]
    advance: Decimal
    overdue: Decimal


@dataclass(frozen=True)
class Ageing:
    side: str
    rows: tuple[AgeingRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.balance for r in self.rows), Decimal(0))

    @property
    def bucket_totals(self) -> tuple[Decimal, ...]:
        return tuple(sum((r.buckets[i] for r in self.rows), Decimal(0)) for i in range(4))


def bucket_of(age_days: int) -> int:
    for index, limit in enumerate(BUCKET_LIMITS):
        if age_days <= limit:
            return index
    return len(BUCKET_LIMITS)


async def ageing(uow: UnitOfWork, side: str) -> Ageing:
    """Every partner with something open on ``side``, largest balance first."""
    today = uow.today()
    rows = await uow.session.execute(
        select(PartnerItem, Partner)
        .join(Partner, Partner.id == PartnerItem.partner_id)
        .where(PartnerItem.side == side, PartnerItem.open_amount != 0)
        .order_by(PartnerItem.posted_at, PartnerItem.id)
    )
    by_partner: dict[int, tuple[Partner, list[PartnerItem]]] = {}
    for item, partner in rows.all():
        by_partner.setdefault(partner.id, (partner, []))[1].append(item)
    result = []
    for partner, items in by_partner.values():
        buckets = [Decimal(0)] * 4
        advance = overdue = Decimal(0)
        for item in items:
            if item.open_amount < 0:
                advance -= item.open_amount
                continue
            age = (today - item.posted_at.astimezone(uow.tz).date()).days
            buckets[bucket_of(age)] += item.open_amount
            if item.due_on < today:
                overdue += item.open_amount
        balance = sum(buckets, Decimal(0)) - advance
        result.append(
            AgeingRow(
                partner.code,
                partner.name,
                balance,
                (buckets[0], buckets[1], buckets[2], buckets[3]),
                advance,
                overdue,
            )
        )
    result.sort(key=lambda r: (-r.balance, r.name))
    return Ageing(side, tuple(result))


@dataclass(frozen=True)
class StatementRow:
    posted_at: datetime
    number: str
    kind: str  # document type, or "payment"
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    partner: str
    side: str
    start: date
    end: date  # exclusive
    opening: Decimal
    rows: tuple[StatementRow, ...]
    closing: Decimal

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


async def statement(uow: UnitOfWork, query: str, side: str, start: date, end: date) -> Statement:
    """Documents and payments of one partner in [start, end) with the running balance."""
    partner = await partners.find(uow, query, PARTNER_KIND_OF_SIDE[side])
    since, until = _instant(uow, start), _instant(uow, end)
    base = (PartnerItem.partner_id == partner.id, PartnerItem.side == side)
    opening = await uow.session.scalar(
        select(func.sum(PartnerItem.amount)).where(*base, PartnerItem.posted_at < since)
    )
    opening_amount = opening or Decimal(0)
    items = await uow.session.execute(
        select(PartnerItem, Document.type)
        .outerjoin(Document, Document.id == PartnerItem.document_id)
        .where(*base, PartnerItem.posted_at >= since, PartnerItem.posted_at < until)
        .order_by(PartnerItem.posted_at, PartnerItem.id)
    )
    running = opening_amount
    rows = []
    for item, doc_type in items.all():
        running += item.amount
        rows.append(
            StatementRow(item.posted_at, item.number, doc_type or "payment", item.amount, running)
        )
    return Statement(partner.name, side, start, end, opening_amount, tuple(rows), running)


def _instant(uow: UnitOfWork, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=uow.tz)


@dataclass(frozen=True)
class SideSummary:
    side: str
    balance: Decimal
    overdue: Decimal
    advance: Decimal


@dataclass(frozen=True)
class RecentItem:
    number: str
    kind: str  # document type, or "payment"
    side: str
    posted_at: datetime
    amount: Decimal
    open_amount: Decimal


@dataclass(frozen=True)
class PartnerCard:
    code: str | None
    name: str
    kind: str
    phone: str
    contact: str
    credit_limit: Decimal | None
    payment_terms_days: int
    price_list: str | None
    sides: tuple[SideSummary, ...]
    recent: tuple[RecentItem, ...]


async def partner_card(uow: UnitOfWork, query: str, kind: str) -> PartnerCard:
    partner = await partners.find(uow, query, kind)
    sides = ("ar", "ap") if partner.kind == "both" else ("ar" if kind == "customer" else "ap",)
    today = uow.today()
    summaries = []
    for side in sides:
        items = (
            await uow.session.scalars(
                select(PartnerItem).where(
                    PartnerItem.partner_id == partner.id,
                    PartnerItem.side == side,
                    PartnerItem.open_amount != 0,
                )
            )
        ).all()
        summaries.append(
            SideSummary(
                side,
                sum((i.open_amount for i in items), Decimal(0)),
                _overdue(items, today),
                -sum((i.open_amount for i in items if i.open_amount < 0), Decimal(0)),
            )
        )
    recent = await uow.session.execute(
        select(PartnerItem, Document.type)
        .outerjoin(Document, Document.id == PartnerItem.document_id)
        .where(PartnerItem.partner_id == partner.id)
        .order_by(PartnerItem.posted_at.desc(), PartnerItem.id.desc())
        .limit(RECENT_DOCUMENTS)
    )
    return PartnerCard(
        partner.code,
        partner.name,
        partner.kind,
        partner.phone,
        partner.contact,
        partner.credit_limit,
        partner.payment_terms_days,
        partner.price_list,
        tuple(summaries),
        tuple(
            RecentItem(i.number, t or "payment", i.side, i.posted_at, i.amount, i.open_amount)
            for i, t in recent.all()
        ),
    )


def _overdue(items: Sequence[PartnerItem], today: date) -> Decimal:
    return sum((i.open_amount for i in items if i.open_amount > 0 and i.due_on < today), Decimal(0))


async def add_partner(
    uow: UnitOfWork, actor: str, fields: PartnerFields, *, is_manager: bool
) -> PartnerCard:
    """``partners.add``, answered with the new partner's card."""
    partner = await partners.add(uow, actor, fields, is_manager=is_manager)
    return await partner_card(uow, partner.code or partner.name, fields.kind)
