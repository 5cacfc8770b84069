"""Items, warehouses, partners and users: lookups and their administration.

Lookups by sku and warehouse code are memoised in the session (one transaction): the ORM's
identity map only short-cuts lookups by primary key, and imports ask thousands of times.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.doctypes import APPROVER_ROLES, ROLE_NAMES, Role
from core.errors import AmbiguousItem, InvalidInput, NotFound
from core.models import Item, Partner, User, Warehouse
from core.uow import UnitOfWork

DEFAULT_WAREHOUSE = "MAIN"


async def item_by_sku(uow: UnitOfWork, sku: str) -> Item:
    cache: dict[str, Item] = uow.session.info.setdefault("items_by_sku", {})
    if sku not in cache:
        item = await uow.session.scalar(select(Item).where(Item.sku == sku))
        if item is None:
            raise NotFound(f"没有编码为 {sku} 的商品")
        cache[sku] = item
    return cache[sku]


async def resolve_item(uow: UnitOfWork, query: str) -> Item:
    """Find one item by sku, barcode, exact name, or a name fragment that matches only one."""
    query = query.strip()
    if not query:
        raise InvalidInput("请写出商品名称、编码或条码，例如：查 可乐")
    for column in (Item.sku, Item.barcode, Item.name):
        found = (await uow.session.scalars(select(Item).where(column == query).limit(2))).all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousItem(query, [(i.sku, i.name) for i in found])
    pattern = f"%{_escape_like(query)}%"
    matches = (
        await uow.session.scalars(
            select(Item)
            .where(or_(Item.name.like(pattern, escape="\\"), Item.sku.like(pattern, escape="\\")))
            .order_by(Item.name)
            .limit(11)
        )
    ).all()
    if not matches:
        raise NotFound(f"没有找到商品“{query}”。请检查名称，或发送 查 加商品编码/条码")
    if len(matches) > 1:
        raise AmbiguousItem(query, [(i.sku, i.name) for i in matches[:10]])
    return matches[0]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def warehouse_by_code(uow: UnitOfWork, code: str) -> Warehouse:
    key = code.strip().upper()
    cache: dict[str, Warehouse] = uow.session.info.setdefault("warehouses_by_code", {})
    if key not in cache:
        warehouse = await uow.session.scalar(
            select(Warehouse).where(func.upper(Warehouse.code) == key)
        )
        if warehouse is None:
            raise NotFound(f"没有代码为 {code} 的仓库/门店")
        cache[key] = warehouse
    return cache[key]


async def partner_named(uow: UnitOfWork, kind: str, name: str | None) -> Partner | None:
    """The customer or supplier with that name, created on first use."""
    if not name:
        return None
    partner = await uow.session.scalar(
        select(Partner).where(Partner.kind == kind, Partner.name == name)
    )
    if partner is None:
        partner = Partner(kind=kind, name=name)
        uow.session.add(partner)
        await uow.session.flush()
    return partner


@dataclass(frozen=True)
class UserView:
    userid: str
    name: str
    role: Role
    warehouses: tuple[str, ...]
    active: bool

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]

    @property
    def is_approver(self) -> bool:
        return self.role in APPROVER_ROLES

    def can_act_in(self, warehouse: str) -> bool:
        return self.role is Role.ADMIN or warehouse in self.warehouses


def user_view(user: User) -> UserView:
    return UserView(
        userid=user.userid,
        name=user.name,
        role=Role(user.role),
        warehouses=tuple(sorted(w.code for w in user.warehouses)),
        active=user.active,
    )


async def find_user(uow: UnitOfWork, userid: str) -> UserView | None:
    user = await uow.session.scalar(
        select(User).where(User.userid == userid).options(selectinload(User.warehouses))
    )
    return None if user is None else user_view(user)


async def list_users(uow: UnitOfWork) -> list[UserView]:
    users = await uow.session.scalars(
        select(User).order_by(User.userid).options(selectinload(User.warehouses))
    )
    return [user_view(u) for u in users]


async def users_with_roles(
    uow: UnitOfWork, warehouse: str, roles: Collection[Role]
) -> list[UserView]:
    """Active users holding one of ``roles`` who may act in ``warehouse``."""
    return [
        u for u in await list_users(uow) if u.active and u.role in roles and u.can_act_in(warehouse)
    ]


async def save_user(
    uow: UnitOfWork,
    actor: str,
    userid: str,
    name: str,
    role: str,
    warehouses: Sequence[str],
    active: bool = True,
) -> UserView:
    """Create or update a user binding (WeCom userid → role and warehouses)."""
    try:
        parsed_role = Role(role)
    except ValueError:
        choices = "、".join(r.value for r in Role)
        raise InvalidInput(f"角色 {role} 不存在，可选：{choices}") from None
    codes = list(warehouses) or [DEFAULT_WAREHOUSE]
    bound = [await warehouse_by_code(uow, code) for code in codes]
    user = await uow.session.scalar(
        select(User).where(User.userid == userid).options(selectinload(User.warehouses))
    )
    if user is None:
        user = User(userid=userid, name=name, role=parsed_role.value, active=active)
        uow.session.add(user)
    user.name, user.role, user.active = name, parsed_role.value, active
    user.warehouses = bound
    await uow.session.flush()
    uow.record(actor, "user.save", f"user:{userid}", {"name": name, "role": role, "wh": codes})
    return user_view(user)


@dataclass(frozen=True)
class WarehouseView:
    code: str
    name: str
    group_chat_id: str | None
    purchasing_chat_id: str | None
    webhook_key: str | None
    negative_stock_policy: str | None
    approval_value_threshold: Decimal | None


def warehouse_view(w: Warehouse) -> WarehouseView:
    return WarehouseView(
        w.code,
        w.name,
        w.group_chat_id,
        w.purchasing_chat_id,
        w.webhook_key,
        w.negative_stock_policy,
        w.approval_value_threshold,
    )


async def list_warehouses(uow: UnitOfWork) -> list[WarehouseView]:
    rows = await uow.session.scalars(select(Warehouse).order_by(Warehouse.code))
    return [warehouse_view(w) for w in rows]


async def add_warehouse(uow: UnitOfWork, actor: str, code: str, name: str) -> WarehouseView:
    code = code.strip().upper()
    if not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("仓库代码只能包含字母、数字、- 和 _，例如 B1")
    exists = await uow.session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if exists is not None:
        raise InvalidInput(f"仓库 {code} 已存在")
    warehouse = Warehouse(code=code, name=name)
    uow.session.add(warehouse)
    await uow.session.flush()
    uow.record(actor, "warehouse.add", f"warehouse:{code}", {"name": name})
    return warehouse_view(warehouse)


async def configure_warehouse(
    uow: UnitOfWork, actor: str, code: str, **changes: str | Decimal | None
) -> WarehouseView:
    """Set delivery targets and policy overrides; ``None`` leaves a field as it is."""
    allowed = {
        "group_chat_id",
        "purchasing_chat_id",
        "webhook_key",
        "negative_stock_policy",
        "approval_value_threshold",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown warehouse settings: {sorted(unknown)}")
    policy = changes.get("negative_stock_policy")
    if policy is not None and policy not in ("approve", "forbid", "allow"):
        raise InvalidInput("负库存策略只能是 approve、forbid 或 allow")
    warehouse = await warehouse_by_code(uow, code)
    applied = {k: v for k, v in changes.items() if v is not None}
    for key, value in applied.items():
        setattr(warehouse, key, value)
    await uow.session.flush()
    uow.record(actor, "warehouse.configure", f"warehouse:{warehouse.code}", applied)
    return warehouse_view(warehouse)
