"""领用: goods issued to a department (LY-…), posted like a write-off, approved above the
warehouse's value threshold.
"""

from __future__ import annotations

from core import ledger
from core.common import NeedsApproval, Posted
from core.ledger import Issue, Line
from core.recipes.departments import require_department
from core.storage import UnitOfWork

EXAMPLE = "领用 面粉 5 厨房"


async def issue(
    uow: UnitOfWork,
    *,
    warehouse: str,
    actor: str,
    department: str | None,
    lines: tuple[Line, ...],
    note: str = "",
    idempotency_key: str | None = None,
    enforce_policy: bool = True,
) -> Posted | NeedsApproval:
    """``enforce_policy=False`` records a past issue as it was (demo history, imports)."""
    if idempotency_key and (replay := await ledger.replay_of(uow, idempotency_key)):
        return replay
    name = await require_department(uow, department, EXAMPLE)
    command = Issue(
        warehouse=warehouse,
        actor=actor,
        lines=lines,
        partner=name,
        note=note,
        idempotency_key=idempotency_key,
    )
    return await ledger.submit(uow, command, enforce_policy=enforce_policy)
