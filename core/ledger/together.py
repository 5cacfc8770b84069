"""Postings of a group commit's batch, planned in Python and written once per table.

Fifty clerks' sales that the group committer takes at once would cost about ten statements
each, one by one, each paying SQLAlchemy's ~100 µs. ``Submission`` lets the committer hand
them over together instead: every request is checked and planned against balances loaded
once for the whole batch (one locked ``SELECT``, id-ordered, read as plain rows: building ORM
objects for them cost more than the query), each plan is applied to those
balances in memory so the next request sees what this one took, and then the batch writes
one statement per table — numbers, documents, lines, moves, balance updates, new balances,
stock levels — with the audit entries chained at commit as always. Each goes through
``storage.RowStatement``: on SQLite its rows reach the driver's ``executemany`` without
SQLAlchemy's per-row parameter work, which had cost more than SQLite writing them.

A request's idempotency key goes on its document; one query finds the batch's keys that a
document or an approval already has. A request refused in Python (unknown item, no
permission, stock the warehouse forbids selling) gets its error and writes nothing. What
would write while planning (a new batch, a new partner), open an approval, replay an
idempotency key or backflush a kit is run afterwards by ``submit`` itself in a savepoint of
the same transaction: the cases where a request can fail inside the database keep their
savepoint. Should a batch statement fail (a balance changed under us, a concurrent insert),
the exception fails the shared transaction and the committer runs every request again on
its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, union_all
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core import catalog, money
from core.common import (
    DOC_PREFIX,
    BalanceView,
    ConcurrencyConflict,
    DocStatus,
    NeedsApproval,
    Posted,
)
from core.ledger import batches, levels
from core.ledger import documents as docs
from core.ledger import posting as ledger
from core.ledger.commands import DocumentCommand, Produce
from core.ledger.numbering import next_numbers
from core.ledger.planning import Allowances, Plan, PlanLine, Planner, plan_lines
from core.ledger.policy import WarehousePolicy, approval_reasons
from core.ledger.validation import resolve_lines
from core.storage import (
    Approval,
    Batch,
    Document,
    DocumentLine,
    RowStatement,
    Settled,
    StockBalance,
    UnitOfWork,
    lost_race_on_insert,
)

DOCUMENTS = cast(Table, Document.__table__)
LINES = cast(Table, DocumentLine.__table__)
# Returning the number (and the line number) with each id: rows come back matched, not
# merely in order.
_INSERT_DOCUMENTS = RowStatement(
    insert(DOCUMENTS),
    (
        "number",
        "type",
        "status",
        "warehouse_id",
        "to_warehouse_id",
        "partner_id",
        "created_by",
        "created_at",
        "posted_at",
        "idempotency_key",
        "original_number",
        "note",
        "result",
        "version",
    ),
    returning=("number", "id"),
)
_INSERT_LINES = RowStatement(
    insert(LINES),
    ("document_id", "line_no", "item_id", "qty", "price", "lot", "expiry"),
    returning=("document_id", "line_no", "id"),
)


@dataclass(frozen=True)
class Submission:
    """``submit(uow, command)`` as a work the group committer can run with others like it."""

    command: DocumentCommand

    async def __call__(self, uow: UnitOfWork) -> Posted | NeedsApproval:
        return await docs.submit(uow, self.command)

    @staticmethod
    async def together(uow: UnitOfWork, works: list[Submission], /) -> list[Settled]:
        return await submit_together(uow, [work.command for work in works])


@dataclass
class _Ready:
    index: int
    header: docs._Header
    lines: list[PlanLine]
    plan: Plan
    result: tuple[BalanceView, ...]
    posted_at: datetime


def _plain(cmd: DocumentCommand) -> bool:
    """Commands whose checks and planning are reads (what else goes through ``submit``)."""
    return not (
        cmd.partner or cmd.contract or cmd.number or cmd.posted_at or isinstance(cmd, Produce)
    )


async def submit_together(uow: UnitOfWork, commands: list[DocumentCommand]) -> list[Settled]:
    settled: dict[int, Settled] = {}
    alone: list[int] = []
    # The batch's items and clerks, each looked up once for all (memoised in the session).
    await catalog.items_by_sku(uow, {line.item for cmd in commands for line in cmd.lines})
    await catalog.find_users(uow, {cmd.actor for cmd in commands})
    replays = await _keys_taken(uow, [cmd.idempotency_key for cmd in commands])
    headers: list[tuple[int, docs._Header, list[PlanLine]]] = []
    for index, cmd in enumerate(commands):
        key = cmd.idempotency_key
        # A key already taken, or taken earlier in this batch, replays: ``submit`` does it
        # after the batch is written.
        if key:
            if key in replays:
                alone.append(index)
                continue
            replays.add(key)
        if not _plain(cmd):
            alone.append(index)
            continue
        try:
            prepared = await _prepare(uow, cmd)
        except Exception as error:
            settled[index] = Settled(error=error)
            continue
        if prepared is None:
            alone.append(index)
        else:
            headers.append((index, *prepared))
    pairs = set().union(
        *(docs._pairs(lines, h.warehouse.id, _id(h.to_warehouse)) for _, h, lines in headers)
    )
    shared = _SharedBalances(await batches.locked_balance_rows(uow, pairs))
    ready: list[_Ready] = []
    for index, header, lines in headers:
        try:
            found = await _plan(uow, header, lines, shared.balances)
        except batches.WouldCreate:
            alone.append(index)
            continue
        except Exception as error:
            settled[index] = Settled(error=error)
            continue
        if found is None:
            alone.append(index)
            continue
        posted_at = uow.now()
        result = ledger.balances_after(found, shared.balances)
        shared.apply(found)
        ready.append(_Ready(index, header, lines, found, result, posted_at))
    for item in await _write(uow, ready, shared):
        settled[item[0]] = item[1]
    for index in sorted(alone):
        try:
            async with uow.savepoint():
                settled[index] = Settled(await docs.submit(uow, commands[index]))
        except Exception as error:
            settled[index] = Settled(error=error)
    return [settled[index] for index in range(len(commands))]


_KEYS_TAKEN = union_all(
    select(Document.idempotency_key).where(
        Document.idempotency_key.in_(bindparam("keys", expanding=True))
    ),
    select(Approval.idempotency_key).where(
        Approval.idempotency_key.in_(bindparam("keys", expanding=True))
    ),
)


async def _keys_taken(uow: UnitOfWork, keys: list[str | None]) -> set[str]:
    """Which of the batch's idempotency keys a document or an approval request already has."""
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return set()
    connection = await uow.read_connection()
    return {str(key) for (key,) in await connection.execute(_KEYS_TAKEN, {"keys": wanted})}


def _id(warehouse: object | None) -> int | None:
    return None if warehouse is None else cast(int, getattr(warehouse, "id"))  # noqa: B009


async def _prepare(
    uow: UnitOfWork, cmd: DocumentCommand
) -> tuple[docs._Header, list[PlanLine]] | None:
    """``submit``'s checks, all reads; None for what goes through ``submit`` instead (a kit's
    backflush, a warehouse without stock, a credit return, a price a manager must approve)."""
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    await docs._actor_role(uow, cmd, warehouse)
    to_warehouse = await docs._destination(uow, cmd, warehouse)
    money.refuse_stock_work(cmd.doc_type, warehouse, to_warehouse)
    if not money.keeps_stock(warehouse):
        return None
    lines = await resolve_lines(uow, cmd)
    lines = await docs._attach_parts(uow, cmd.doc_type, lines, uow.now(), warehouse)
    if any(line.parts for line in lines):
        return None
    original = await docs._original_sale(uow, cmd, warehouse)
    if original is not None and original.partner is not None:
        return None  # a return of a credit sale credits that customer
    lines, reasons = await money.before_plan(
        uow, cmd, None, warehouse, lines, original, enforce_policy=True
    )
    if reasons:
        return None
    return docs._Header(cmd, warehouse, to_warehouse, None, original), lines


async def _plan(
    uow: UnitOfWork,
    header: docs._Header,
    lines: list[PlanLine],
    balances: dict[tuple[int, int], list[batches.BalanceRow]],
) -> Plan | None:
    """The request's plan against the batch's balances; None when it needs an approval."""
    cmd, warehouse = header.cmd, header.warehouse
    policy = WarehousePolicy.of(warehouse, uow.settings)
    allow = Allowances(negative=policy.negative_stock == "allow", expired=False)
    role = await docs._actor_role(uow, cmd, warehouse)
    planner = Planner(uow, cmd.doc_type, balances, allow, create_batches=False)
    returned = await batches.return_batches(uow, header.original, [ln.item for ln in lines])
    plan = await plan_lines(planner, lines, warehouse, header.to_warehouse, returned)
    negative_lines = any(ln.qty < 0 for ln in lines)
    if approval_reasons(cmd.doc_type, role, negative_lines, plan, policy):
        return None
    return plan


class _SharedBalances:
    """The batch's balances as its plans leave them, and what that changes in the database."""

    def __init__(self, balances: dict[tuple[int, int], list[batches.BalanceRow]]) -> None:
        self.balances = balances
        self.batches = {b.batch_id: b.batch for group in balances.values() for b in group}
        self.seen: dict[int, int] = {}  # balance id → the version loaded
        self.delta: dict[int, Decimal] = defaultdict(Decimal)
        self.new: dict[tuple[int, int], batches.BalanceRow] = {}  # (warehouse, batch) → new
        self.changes = levels.LevelChanges.empty()

    def apply(self, plan: Plan) -> None:
        self.changes.moved(plan.moves)
        for move in plan.moves:
            group = self.balances[(move.item.id, move.warehouse.id)]
            batch_id = move.batch.id
            balance = next((b for b in group if b.batch_id == batch_id), None)
            if balance is None:
                balance = batches.BalanceRow(
                    None, move.item.id, move.warehouse.id, batch_id, Decimal(0), 1, move.batch
                )
                group.append(balance)
                group.sort(key=batches.fefo_key)
                self.new[(move.warehouse.id, batch_id)] = balance
            balance.qty += move.qty
            if balance.id is not None:
                self.seen.setdefault(balance.id, balance.version)
                self.delta[balance.id] += move.qty

    def costs_changed(self, changed: list[Batch]) -> None:
        """A receipt folded its price into these batches: plans read their cost from here."""
        for batch in changed:
            row = self.batches.get(batch.id)
            if isinstance(row, batches.BatchRow):
                row.cost, row.received_qty = batch.cost, batch.received_qty

    async def write(self, uow: UnitOfWork) -> None:
        connection = await uow.connection()
        changed = sorted(self.delta)
        if changed:
            result = await ledger.ADD_TO_BALANCE.run(
                connection, [(b, self.seen[b], self.delta[b]) for b in changed]
            )
            if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(changed):
                raise ConcurrencyConflict("a stock balance changed while the batch was posted")
            self._refresh_session(uow, changed)
        if self.new:
            rows = [
                (b.item_id, b.warehouse_id, b.batch_id, b.qty, b.batch.expiry, 1)
                for b in self.new.values()
            ]
            with lost_race_on_insert("a stock balance"):
                await ledger.INSERT_BALANCES.run(connection, rows)
        await levels.apply(connection, self.changes)

    def _refresh_session(self, uow: UnitOfWork, changed: list[int]) -> None:
        """Balances an earlier work of the transaction loaded as ORM objects take their new
        values: the session would hand them out as they were to a later one."""
        identities = uow.session.identity_map
        for balance_id in changed:
            loaded = identities.get(identity_key(StockBalance, balance_id))
            if isinstance(loaded, StockBalance):
                set_committed_value(loaded, "qty", loaded.qty + self.delta[balance_id])
                set_committed_value(loaded, "version", self.seen[balance_id] + 1)


async def _write(
    uow: UnitOfWork, ready: list[_Ready], shared: _SharedBalances
) -> list[tuple[int, Settled]]:
    if not ready:
        return []
    by_prefix: dict[str, list[_Ready]] = defaultdict(list)
    for item in ready:
        by_prefix[DOC_PREFIX[item.header.cmd.doc_type]].append(item)
    numbers: dict[int, str] = {}
    for prefix, items in by_prefix.items():
        for item, number in zip(items, await next_numbers(uow, prefix, len(items)), strict=True):
            numbers[item.index] = number
    connection = await uow.connection()
    documents = await _INSERT_DOCUMENTS.run(
        connection, [_document_row(item, numbers[item.index]) for item in ready]
    )
    ids: dict[str, int] = {number: id_ for number, id_ in documents}
    line_ids: dict[int, dict[int, int]] = defaultdict(dict)
    rows = await _INSERT_LINES.run(
        connection,
        [_line_row(ids[numbers[item.index]], ln) for item in ready for ln in item.lines],
    )
    for document_id, line_no, line_id in rows:
        line_ids[document_id][line_no] = line_id
    moves = []
    outcomes = []
    for item in ready:
        cmd, number = item.header.cmd, numbers[item.index]
        document_id = ids[number]
        costs = docs._purchase_costs(cmd.doc_type, item.lines)
        posting = ledger.Posting(document_id, line_ids[document_id], costs)
        # In arrival order: a receipt's price moves its batches' average cost for the next.
        moves += ledger.move_rows(posting, item.plan, item.posted_at, cmd.actor)
        if costs:
            shared.costs_changed(ledger.add_to_batch_costs(posting, item.plan))
        await money.after_insert(uow, cmd, document_id)
        await money.after_post(
            uow,
            document_id=document_id,
            number=number,
            doc_type=cmd.doc_type,
            partner=None,
            warehouse=item.header.warehouse,
            line_ids=line_ids[document_id],
            lines=item.lines,
            posted_at=item.posted_at,
            actor=cmd.actor,
            original_number=None if item.header.original is None else item.header.original.number,
        )
        docs._record_post(
            uow, cmd.actor, number, cmd.doc_type, item.header.warehouse.code, item.lines, item.plan
        )
        created = docs._Created(document_id, number, item.posted_at, line_ids[document_id])
        view = item.header.view(created, item.lines, item.posted_at)
        subs = docs.substitution_views(item.plan.substitutions)
        outcomes.append((item.index, Settled(Posted(view, item.result, substitutions=subs))))
    if moves:
        await ledger.INSERT_MOVES.run(connection, moves)
    await shared.write(uow)
    return outcomes


def _document_row(item: _Ready, number: str) -> tuple[object, ...]:
    header, cmd = item.header, item.header.cmd
    return (
        number,
        cmd.doc_type.value,
        DocStatus.POSTED.value,
        header.warehouse.id,
        _id(header.to_warehouse),
        None,
        cmd.actor,
        item.posted_at,
        item.posted_at,
        cmd.idempotency_key,
        None if header.original is None else header.original.number,
        cmd.note,
        docs._stored_result(item.result),
        1,
    )


def _line_row(document_id: int, line: PlanLine) -> tuple[object, ...]:
    return (
        document_id,
        line.line_no,
        line.item.id,
        line.qty,
        line.price,
        line.lot,
        line.expiry,
    )
