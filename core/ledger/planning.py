"""Turn a document's lines into signed stock moves over batches, noting what needs approval.

Planning reads row-locked balances and changes nothing but batches; ``core.ledger`` writes
the moves. Quantities on lines are as the user means them; the sign comes from the type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal

from core.common import DocType
from core.ledger import batches
from core.ledger.batches import BalanceLike, BatchLike
from core.storage import Item, UnitOfWork, Warehouse

# Sales and transfers must not hand out expired goods unasked; write-offs, counts,
# adjustments and returns to the supplier are how expired goods leave, so they may.
FRESH_ONLY = frozenset({DocType.SALE, DocType.TRANSFER})
# The ledger's quantity columns hold four places (core.types.SCALE).
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class SubstituteOption:
    item: Item
    ratio: Decimal  # units of the substitute that replace one unit of the component
    needs_approval: bool


@dataclass(frozen=True)
class Part:
    """One component of a kit line: ``qty`` per unit sold, scrap included."""

    item: Item
    qty: Decimal
    substitutes: tuple[SubstituteOption, ...] = ()


@dataclass(frozen=True)
class PlanLine:
    line_no: int
    item: Item
    qty: Decimal
    price: Decimal | None
    lot: str | None
    expiry: date | None = None
    # A kit's components: the line's own item has no stock, these move instead (backflush).
    parts: tuple[Part, ...] = ()
    # A kit sold where the kitchen works by issue (领用): the sale moves no stock at all.
    stockless: bool = False

    def stock_items(self) -> set[Item]:
        """Every item whose stock this line may move: itself, or its parts and substitutes."""
        if self.stockless:
            return set()
        if not self.parts:
            return {self.item}
        return {p.item for p in self.parts} | {s.item for p in self.parts for s in p.substitutes}


@dataclass(frozen=True)
class Substitution:
    component: Item
    substitute: Item
    covered: Decimal  # quantity of the component that the substitute stood in for
    used: Decimal  # quantity of the substitute taken
    needs_approval: bool


def split_need(
    item: Item,
    need: Decimal,
    options: tuple[SubstituteOption, ...],
    available: Callable[[Item], Decimal],
    *,
    in_units: bool = False,
) -> tuple[Decimal, list[Substitution]]:
    """How much of ``item`` to take, and which substitutes cover what it lacks, in order.

    What no substitute covers stays on the component, so the warehouse's negative-stock
    policy judges it as for any shortfall. ``in_units`` rounds what is taken up to what each
    item's unit can hold (a production's lines); otherwise to the ledger's four places (a
    dish's backflush, where half an egg per bowl is the truth on average).
    """
    own = max(min(need, available(item)), Decimal(0))
    missing = need - own
    used: list[Substitution] = []
    for option in options:
        if missing <= 0:
            break
        wanted = _round_up(missing * option.ratio, option.item, in_units)
        take = min(wanted, available(option.item))
        if take <= 0:
            continue
        covered = min(missing, (take / option.ratio).quantize(FOUR_PLACES))
        used.append(Substitution(item, option.item, covered, take, option.needs_approval))
        missing -= covered
    return _round_up(own + missing, item, in_units), used


def _round_up(qty: Decimal, item: Item, in_units: bool) -> Decimal:
    places = min(item.unit_precision, 4) if in_units else 4
    return qty.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)


@dataclass(frozen=True)
class PlannedMove:
    line_no: int
    item: Item
    warehouse: Warehouse
    batch: BatchLike
    qty: Decimal


@dataclass(frozen=True)
class Shortfall:
    item: Item
    warehouse: Warehouse
    needed: Decimal
    available: Decimal
    # Where negative stock is allowed the part missing is planned as a move too.
    moved: bool = False


@dataclass(frozen=True)
class ExpiredUse:
    item: Item
    batch: BatchLike
    qty: Decimal


@dataclass
class Plan:
    moves: list[PlannedMove] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    expired: list[ExpiredUse] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)
    # Cost value of the stock that leaves or appears: what thresholds are judged on.
    value: Decimal = Decimal(0)


@dataclass(frozen=True)
class Allowances:
    negative: bool = False
    expired: bool = False


class Planner:
    def __init__(
        self,
        uow: UnitOfWork,
        doc_type: DocType,
        balances: Mapping[tuple[int, int], Sequence[BalanceLike]],
        allow: Allowances,
        *,
        create_batches: bool = True,
    ) -> None:
        self.uow = uow
        # False: a batch that does not exist yet raises ``batches.WouldCreate`` instead.
        self.create_batches = create_batches
        self.doc_type = doc_type
        self.balances = balances
        self.allow = allow
        self.plan = Plan()
        # Moves planned so far per (warehouse, batch): later lines see what earlier ones took.
        self._planned: dict[tuple[int, int], Decimal] = {}

    def _on_hand(self, item: Item, warehouse: Warehouse) -> Sequence[BalanceLike]:
        return self.balances[(item.id, warehouse.id)]

    def _stock(self, item: Item, warehouse: Warehouse) -> list[tuple[BatchLike, Decimal]]:
        return [
            (b.batch, b.qty + self._planned.get((warehouse.id, b.batch_id), Decimal(0)))
            for b in self._on_hand(item, warehouse)
        ]

    async def take_out(self, line: PlanLine, warehouse: Warehouse, qty: Decimal) -> None:
        stock = self._stock(line.item, warehouse)
        if line.lot is not None:
            chosen = await batches.existing_batch(self.uow, line.item, line.lot)
            stock = [(batch, qty_there) for batch, qty_there in stock if batch.id == chosen.id]
        fresh_only = self.doc_type in FRESH_ONLY
        allocation = batches.allocate(
            stock, qty, self.uow.today(), include_expired=self.allow.expired or not fresh_only
        )
        for take in allocation.takes:
            self._add(line, warehouse, take.batch, -take.qty)
            if take.expired and fresh_only:
                self.plan.expired.append(ExpiredUse(line.item, take.batch, take.qty))
        if allocation.shortfall <= 0:
            return
        if fresh_only and not self.allow.expired:
            self._note_expired_cover(line, stock, allocation)
        available = qty - allocation.shortfall
        self.plan.shortfalls.append(
            Shortfall(line.item, warehouse, qty, available, moved=self.allow.negative)
        )
        if self.allow.negative:
            default = await batches.default_batch(self.uow, line.item, create=self.create_batches)
            self._add(line, warehouse, default, -allocation.shortfall)

    def _note_expired_cover(
        self,
        line: PlanLine,
        stock: list[tuple[BatchLike, Decimal]],
        fresh: batches.Allocation,
    ) -> None:
        """Record the expired stock that could cover a shortfall if a manager allowed it."""
        taken = {t.batch.id: t.qty for t in fresh.takes}
        left = [(b, q - taken.get(b.id, Decimal(0))) for b, q in stock]
        cover = batches.allocate(left, fresh.shortfall, self.uow.today(), include_expired=True)
        self.plan.expired.extend(ExpiredUse(line.item, t.batch, t.qty) for t in cover.takes)

    async def put_in(
        self, line: PlanLine, warehouse: Warehouse, qty: Decimal, batch: BatchLike | None = None
    ) -> None:
        if batch is None:
            batch = await self._incoming_batch(line, warehouse)
        self._add(line, warehouse, batch, qty)

    async def _incoming_batch(self, line: PlanLine, warehouse: Warehouse) -> BatchLike:
        if self.doc_type is DocType.RECEIPT or line.lot is not None or line.expiry is not None:
            return await batches.batch_for_receipt(
                self.uow, line.item, line.lot, line.expiry, create=self.create_batches
            )
        newest = batches.newest_fresh_batch(self._on_hand(line.item, warehouse), self.uow.today())
        return newest or await batches.default_batch(
            self.uow, line.item, create=self.create_batches
        )

    async def fill_to(self, line: PlanLine, warehouse: Warehouse, counted: Decimal) -> None:
        """Counts: post the variance so the book equals what is on the shelf."""
        stock = self._stock(line.item, warehouse)
        variance = counted - sum((qty for _, qty in stock), Decimal(0))
        if variance < 0:
            await self.take_out(line, warehouse, -variance)
            return
        # Clear negative balances first: they are goods sold before they were booked in.
        for batch, qty in stock:
            if variance <= 0:
                break
            if qty < 0:
                refill = min(-qty, variance)
                self._add(line, warehouse, batch, refill)
                variance -= refill
        if variance > 0:
            await self.put_in(line, warehouse, variance)

    def fresh_available(self, item: Item, warehouse: Warehouse) -> Decimal:
        """What can still be taken of ``item`` now: positive, unexpired stock not yet planned."""
        today = self.uow.today()
        stock = self._stock(item, warehouse)
        return sum((q for b, q in stock if q > 0 and not batches.is_expired(b, today)), Decimal(0))

    async def consume_parts(self, line: PlanLine, warehouse: Warehouse) -> None:
        """A kit sold takes its parts FEFO (substitutes when short); sold back, returns them."""
        for part in line.parts:
            need = (part.qty * abs(line.qty)).quantize(FOUR_PLACES, rounding=ROUND_CEILING)
            component = PlanLine(line.line_no, part.item, need, None, None)
            if line.qty < 0:
                await self.put_in(component, warehouse, need)
                continue
            own, substitutions = split_need(
                part.item, need, part.substitutes, lambda i: self.fresh_available(i, warehouse)
            )
            for used in substitutions:
                taken = PlanLine(line.line_no, used.substitute, used.used, None, None)
                await self.take_out(taken, warehouse, used.used)
            self.plan.substitutions.extend(substitutions)
            if own > 0:
                await self.take_out(component, warehouse, own)

    def _add(self, line: PlanLine, warehouse: Warehouse, batch: BatchLike, qty: Decimal) -> None:
        if qty == 0:
            return
        self.plan.moves.append(PlannedMove(line.line_no, line.item, warehouse, batch, qty))
        key = (warehouse.id, batch.id)
        self._planned[key] = self._planned.get(key, Decimal(0)) + qty
        self.plan.value += abs(qty) * line.item.cost


async def plan_lines(
    planner: Planner,
    lines: list[PlanLine],
    warehouse: Warehouse,
    to_warehouse: Warehouse | None,
    return_batches: Mapping[int, BatchLike],
) -> Plan:
    doc_type = planner.doc_type
    for line in lines:
        if line.stockless:
            continue
        if line.parts:
            await planner.consume_parts(line, warehouse)
        elif doc_type is DocType.COUNT:
            await planner.fill_to(line, warehouse, line.qty)
        elif doc_type is DocType.TRANSFER:
            assert to_warehouse is not None
            before = len(planner.plan.moves)
            await planner.take_out(line, warehouse, line.qty)
            for move in planner.plan.moves[before:]:
                planner.plan.moves.append(
                    PlannedMove(move.line_no, move.item, to_warehouse, move.batch, -move.qty)
                )
        elif _is_outgoing(doc_type, line.qty):
            await planner.take_out(line, warehouse, abs(line.qty))
        else:
            await planner.put_in(line, warehouse, abs(line.qty), return_batches.get(line.item.id))
    return planner.plan


def _is_outgoing(doc_type: DocType, qty: Decimal) -> bool:
    if doc_type in (DocType.SALE, DocType.ADJUSTMENT):
        return (qty > 0) == (doc_type is DocType.SALE)
    if doc_type is DocType.PRODUCTION:
        return qty < 0
    return doc_type in (DocType.PURCHASE_RETURN, DocType.WRITEOFF, DocType.ISSUE)
