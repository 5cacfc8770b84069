"""Cycle-count tasks and counting by scan.

The weekly plan stripes the categories a warehouse holds over ``weeks`` weeks by sorted
position (about a fifth a week with the default 5); in the first seven days of a month every
category also gets the monthly full-count task. ``盘点 饮料`` counts the open task of that
category (one is made for today when none is planned), each scan adds to what was counted, and
``盘点 完成`` posts one count document: the items scanned at their counted quantity, and the
category's items with book stock that nobody scanned at 0 (the shelf was counted and they were
not there). Variances go through the count policy as ever (over the threshold → approval).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, select

from core import catalog, ledger, money
from core.common import InvalidInput, NeedsApproval, NotFound, Posted
from core.ledger import Count, Line
from core.orders import sessions
from core.orders.tables import CountTask, Scan, ScanSession
from core.orders.views import COUNT
from core.storage import Item, StockBalance, UnitOfWork, Warehouse

C = TypeVar("C")
EPOCH_MONDAY = date(2024, 1, 1)
CYCLE_WEEKS = 5
OPEN, DONE = "open", "done"


def this_weeks(categories: list[C], today: date, weeks: int, name: Callable[[C], str]) -> list[C]:
    """The categories whose turn it is this week: every ``weeks``-th by sorted name."""
    turn = ((today - EPOCH_MONDAY).days // 7) % weeks
    ordered = sorted(categories, key=name)
    return [c for position, c in enumerate(ordered) if position % weeks == turn]


def week_of(today: date) -> str:
    iso = today.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@dataclass(frozen=True)
class TaskView:
    category: str
    period: str
    status: str
    counted_items: int
    items: int
    document_number: str | None

    @property
    def kind_name(self) -> str:
        if "-W" in self.period:
            return "周盘"
        return "月度全盘" if len(self.period) == 7 else "临时盘点"


@dataclass(frozen=True)
class CountDone:
    task: TaskView
    result: Posted | NeedsApproval
    missing: tuple[str, ...]  # items with book stock nobody scanned, posted as 0


async def plan_tasks(
    uow: UnitOfWork, warehouse: str, weeks: int = CYCLE_WEEKS, today: date | None = None
) -> None:
    """Make this week's (and, early in the month, the monthly) tasks if not made yet.

    Run by ``盘点任务`` and by the weekly cycle-count plan (``today`` is its fire date).
    """
    found = await catalog.warehouse_by_code(uow, warehouse)
    held = list(
        await uow.session.scalars(
            select(Item.category)
            .join(StockBalance, StockBalance.item_id == Item.id)
            .where(StockBalance.warehouse_id == found.id, Item.category != "")
            .distinct()
        )
    )
    today = today or uow.today()
    wanted = [(c, week_of(today)) for c in this_weeks(held, today, weeks, str)]
    if today.day <= 7:
        wanted += [(c, f"{today:%Y-%m}") for c in held]
    rows = await uow.session.execute(
        select(CountTask.category, CountTask.period).where(CountTask.warehouse_id == found.id)
    )
    existing = {(category, period) for category, period in rows.all()}
    for category, period in wanted:
        if (category, period) not in existing:
            uow.session.add(
                CountTask(
                    warehouse_id=found.id,
                    category=category,
                    period=period,
                    status=OPEN,
                    created_at=uow.now(),
                )
            )
    await uow.session.flush()


async def open_tasks(uow: UnitOfWork, warehouse: str) -> list[TaskView]:
    found = await catalog.warehouse_by_code(uow, warehouse)
    tasks = await uow.session.scalars(
        select(CountTask)
        .where(CountTask.warehouse_id == found.id, CountTask.status == OPEN)
        .order_by(CountTask.period, CountTask.category)
    )
    return [await _view(uow, task) for task in tasks]


async def category_exists(uow: UnitOfWork, category: str) -> bool:
    found = await uow.session.scalar(select(Item.id).where(Item.category == category).limit(1))
    return found is not None


async def start_count(uow: UnitOfWork, userid: str, warehouse: str, category: str) -> TaskView:
    found = await catalog.warehouse_by_code(uow, warehouse)
    money.refuse_without_stock(found, "盘点")
    known = await uow.session.scalar(select(func.count(Item.id)).where(Item.category == category))
    if not known:
        raise NotFound(f"没有分类“{category}”的商品。发送 盘点任务 查看要盘的分类")
    task = await uow.session.scalar(
        select(CountTask)
        .where(
            CountTask.warehouse_id == found.id,
            CountTask.category == category,
            CountTask.status == OPEN,
        )
        .order_by(CountTask.id)
        .limit(1)
    )
    if task is None:
        task = CountTask(
            warehouse_id=found.id,
            category=category,
            period=uow.today().isoformat(),
            status=OPEN,
            created_at=uow.now(),
        )
        uow.session.add(task)
        await uow.session.flush()
    await sessions.open_session(uow, userid, COUNT, task_id=task.id)
    return await _view(uow, task)


async def finish_count(uow: UnitOfWork, session: ScanSession, key: str) -> CountDone:
    task = session.task
    assert task is not None
    scans = list(
        await uow.session.scalars(
            select(Scan).where(Scan.task_id == task.id, Scan.posted_in.is_(None)).order_by(Scan.id)
        )
    )
    if not scans:
        raise InvalidInput(f"盘点 {task.category} 还没有扫码。请扫码计数后再发送 盘点 完成")
    counted: dict[int, Decimal] = defaultdict(Decimal)
    for scan in scans:
        counted[scan.item_id] += scan.qty
    on_shelf = await uow.session.execute(
        select(Item.id, func.sum(StockBalance.qty))
        .join(StockBalance, StockBalance.item_id == Item.id)
        .where(Item.category == task.category, StockBalance.warehouse_id == task.warehouse_id)
        .group_by(Item.id)
    )
    missing_ids = [item_id for item_id, qty in on_shelf.all() if qty and item_id not in counted]
    items = {i.id: i for i in await _items(uow, [*counted, *missing_ids])}
    lines = [Line(items[i].sku, qty) for i, qty in counted.items()]
    lines += [Line(items[i].sku, Decimal(0)) for i in missing_ids]
    warehouse = await uow.session.get_one(Warehouse, task.warehouse_id)
    command = Count(
        warehouse=warehouse.code,
        actor=session.userid,
        lines=tuple(lines),
        note=f"盘点任务 {task.category} {task.period}",
        idempotency_key=key,
    )
    result = await ledger.submit(uow, command)
    number = (
        result.document.number
        if isinstance(result, Posted)
        else (result.approval.document.number if result.approval.document else "")
    )
    for scan in scans:
        scan.posted_in = number
    task.status = DONE
    task.document_number = number
    task.done_at = uow.now()
    await sessions.close(uow, session)
    uow.record(session.userid, "count_task.done", f"count_task:{task.id}", {"document": number})
    return CountDone(await _view(uow, task), result, tuple(items[i].name for i in missing_ids))


async def _items(uow: UnitOfWork, ids: list[int]) -> list[Item]:
    return list(await uow.session.scalars(select(Item).where(Item.id.in_(ids))))


async def _view(uow: UnitOfWork, task: CountTask) -> TaskView:
    items = await uow.session.scalar(
        select(func.count(Item.id)).where(Item.category == task.category)
    )
    counted = await uow.session.scalar(
        select(func.count(func.distinct(Scan.item_id))).where(Scan.task_id == task.id)
    )
    return TaskView(
        task.category,
        task.period,
        task.status,
        int(counted or 0),
        int(items or 0),
        task.document_number,
    )
