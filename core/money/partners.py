"""Partners as records: looked up by name or code, added by a manager, shown with their balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, or_, select

from core.common import PARTNER_KIND_NAMES, InvalidInput, NotFound, PermissionDenied
from core.storage import Partner, UnitOfWork

KINDS = ("customer", "supplier", "both")
CODE_PREFIX = {"customer": "C", "supplier": "S", "both": "B"}


@dataclass(frozen=True)
class PartnerFields:
    name: str
    kind: str
    code: str | None = None
    phone: str = ""
    contact: str = ""
    credit_limit: Decimal | None = None
    payment_terms_days: int = 0
    price_list: str | None = None


async def find(uow: UnitOfWork, query: str, kind: str) -> Partner:
    """The customer (or supplier) with this code or name; unknown ones are refused."""
    query = query.strip()
    rows = (
        await uow.session.scalars(
            select(Partner)
            .where(
                or_(Partner.name == query, func.upper(Partner.code) == query.upper()),
                Partner.kind.in_((kind, "both")),
            )
            .order_by(Partner.id)
        )
    ).all()
    if not rows:
        raise NotFound(
            f"没有名为“{query}”的{PARTNER_KIND_NAMES[kind]}。请检查名称，或由店长先登记："
            f"新{PARTNER_KIND_NAMES[kind]} {query} 电话 138…"
        )
    return rows[0]


async def next_code(uow: UnitOfWork, kind: str) -> str:
    prefix = CODE_PREFIX[kind]
    count = await uow.session.scalar(
        select(func.count()).select_from(Partner).where(Partner.code.like(f"{prefix}%"))
    )
    number = int(count or 0) + 1
    taken = select(Partner.id).where(Partner.code == bindparam("code"))
    while await uow.session.scalar(taken, {"code": f"{prefix}{number:04d}"}):
        number += 1
    return f"{prefix}{number:04d}"


async def add(uow: UnitOfWork, actor: str, fields: PartnerFields, *, is_manager: bool) -> Partner:
    """A manager registers a partner by chat; a name already in use is refused."""
    if not is_manager:
        raise PermissionDenied("只有店长或管理员可以登记客户和供应商")
    check_fields(fields)
    kinds = KINDS if fields.kind == "both" else (fields.kind, "both")
    clash = await uow.session.scalar(
        select(Partner).where(Partner.name == fields.name, Partner.kind.in_(kinds)).limit(1)
    )
    if clash is not None:
        look = "供应商" if clash.kind == "supplier" else "客户"
        raise InvalidInput(
            f"{PARTNER_KIND_NAMES[clash.kind]}“{fields.name}”已存在（编码 {clash.code}），"
            f"未做任何更改；查看资料请发：{look} {fields.name}"
        )
    partner = Partner(kind=fields.kind, name=fields.name)
    apply(partner, fields)
    partner.code = fields.code or await next_code(uow, fields.kind)
    uow.session.add(partner)
    await uow.session.flush()
    uow.record(actor, "partner.add", f"partner:{partner.code}", record_of(partner))
    return partner


def check_fields(fields: PartnerFields) -> None:
    if not fields.name:
        raise InvalidInput("缺少名称，例如：新客户 张三 电话 13800000000")
    if fields.kind not in KINDS:
        raise InvalidInput(f"类型只能是 customer、supplier 或 both（收到 {fields.kind}）")
    if fields.credit_limit is not None and fields.credit_limit < 0:
        raise InvalidInput("信用额度不能为负数，例如：额度 5000")
    if fields.payment_terms_days < 0:
        raise InvalidInput("账期天数不能为负数，例如：账期 30")


def apply(partner: Partner, fields: PartnerFields) -> None:
    partner.kind = fields.kind
    partner.name = fields.name
    partner.phone = fields.phone
    partner.contact = fields.contact
    partner.credit_limit = fields.credit_limit
    partner.payment_terms_days = fields.payment_terms_days
    partner.price_list = fields.price_list or None
    if fields.code:
        partner.code = fields.code


def record_of(partner: Partner) -> dict[str, object]:
    return {
        "code": partner.code,
        "name": partner.name,
        "kind": partner.kind,
        "phone": partner.phone,
        "contact": partner.contact,
        "credit_limit": None if partner.credit_limit is None else str(partner.credit_limit),
        "payment_terms_days": partner.payment_terms_days,
        "price_list": partner.price_list,
    }
