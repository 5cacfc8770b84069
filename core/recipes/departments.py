"""Departments and cost centres that goods are issued to (领用): partners of kind
``department``, kept by the admin; 厨房 and 生产 exist from the start (migration 0004).
"""

from __future__ import annotations

from sqlalchemy import select

from core.common import InvalidInput
from core.storage import Partner, UnitOfWork

DEPARTMENT = "department"


async def list_departments(uow: UnitOfWork) -> list[str]:
    names = await uow.session.scalars(
        select(Partner.name).where(Partner.kind == DEPARTMENT).order_by(Partner.id)
    )
    return list(names)


async def add_department(uow: UnitOfWork, actor: str, name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("部门名称不能为空，最长 100 个字，例如：jxc departments add 前厅")
    if name in await list_departments(uow):
        raise InvalidInput(f"部门 {name} 已存在")
    uow.session.add(Partner(kind=DEPARTMENT, name=name))
    await uow.session.flush()
    uow.record(actor, "department.add", f"department:{name}", {})
    return name


async def require_department(uow: UnitOfWork, name: str | None, example: str) -> str:
    """``name`` if it is a known department; otherwise a refusal that lists them."""
    known = await list_departments(uow)
    if name in known:
        return name
    listed = "、".join(known)
    if not name:
        raise InvalidInput(f"请写出领用部门（{listed}），例如：{example}")
    raise InvalidInput(f"没有部门“{name}”。现有部门：{listed}；例如：{example}")
