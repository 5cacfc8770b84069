"""Staff: WeCom userids bound to a role (DESIGN §1) and to the warehouses they work in."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import selectinload

from core.catalog.lookup import DEFAULT_WAREHOUSE, warehouse_by_code
from core.common import APPROVER_ROLES, ROLE_NAMES, InvalidInput, Role
from core.storage import ReadStatement, UnitOfWork, User, UserWarehouse, Warehouse

# Session-info key of the memo of users by WeCom userid.
USERS_MEMO = "users_by_userid"
_USER_WITH_WAREHOUSES = ReadStatement(
    select(User.userid, User.name, User.role, User.active, Warehouse.code)
    .outerjoin(UserWarehouse, UserWarehouse.user_id == User.id)
    .outerjoin(Warehouse, Warehouse.id == UserWarehouse.warehouse_id)
    .where(User.userid == bindparam("userid"))
)


_USERS_WITH_WAREHOUSES = (
    select(User.userid, User.name, User.role, User.active, Warehouse.code)
    .outerjoin(UserWarehouse, UserWarehouse.user_id == User.id)
    .outerjoin(Warehouse, Warehouse.id == UserWarehouse.warehouse_id)
    .where(User.userid.in_(bindparam("userids", expanding=True)))
)


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
    """Memoised in the session: a batch of postings by the same clerks asks again and again."""
    cache: dict[str, UserView | None] = uow.session.info.setdefault(USERS_MEMO, {})
    if userid not in cache:
        connection = await uow.read_connection()
        rows = await _USER_WITH_WAREHOUSES.rows(connection, {"userid": userid})
        cache[userid] = None if not rows else _view_of_rows(rows)
    return cache[userid]


async def find_users(uow: UnitOfWork, userids: Collection[str]) -> None:
    """Bring every one of ``userids`` into the session's memo with one query (a batch)."""
    cache: dict[str, UserView | None] = uow.session.info.setdefault(USERS_MEMO, {})
    missing = sorted({userid for userid in userids if userid not in cache})
    if not missing:
        return
    connection = await uow.read_connection()
    grouped: dict[str, list[Row[str, str, str, bool, str]]] = {}
    for row in (await connection.execute(_USERS_WITH_WAREHOUSES, {"userids": missing})).all():
        grouped.setdefault(row.userid, []).append(row)
    for userid in missing:
        cache[userid] = _view_of_rows(grouped[userid]) if userid in grouped else None


def _view_of_rows(rows: Sequence[Row[str, str, str, bool, str]]) -> UserView:
    """One row per warehouse of the user; an outer join gives a None code when there is none."""
    first = rows[0]
    codes = sorted(row.code for row in rows if row.code is not None)
    return UserView(
        userid=first.userid,
        name=first.name,
        role=Role(first.role),
        warehouses=tuple(codes),
        active=first.active,
    )


async def list_users(uow: UnitOfWork) -> list[UserView]:
    users = await uow.session.scalars(
        select(User).order_by(User.userid).options(selectinload(User.warehouses))
    )
    return [user_view(u) for u in users]


async def staff_names(uow: UnitOfWork) -> dict[str, str]:
    """Each user's name by userid: a manager knows 小王, not the WeCom userid "xiaowang"."""
    rows = await uow.session.execute(select(User.userid, User.name))
    return {userid: name for userid, name in rows}


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
    uow.session.info.pop(USERS_MEMO, None)
    uow.record(actor, "user.save", f"user:{userid}", {"name": name, "role": role, "wh": codes})
    return user_view(user)
