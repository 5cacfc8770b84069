"""Plain results returned by core services: no ORM objects leave ``core``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class QueuedMessage:
    """An outbox row as ``jxc outbox`` lists it."""

    id: int
    channel: str
    target: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class OutgoingMessage:
    """An outbox row claimed for delivery: where it goes, what it says, attempts so far."""

    id: int
    channel: str
    target: str
    target_key: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class ReceivedMessage:
    """A stored inbound message, as the inbox worker handles it."""

    id: int
    from_user: str
    kind: str
    payload: dict[str, Any]
    dedupe_key: str


@dataclass(frozen=True)
class SentAlert:
    """What alert rule ``rule`` last said about ``subject``, and when."""

    id: int
    rule: str
    subject: str
    state: str
    last_sent_at: datetime


@dataclass(frozen=True)
class BalanceView:
    sku: str
    name: str
    unit: str
    warehouse: str
    qty: Decimal


@dataclass(frozen=True)
class LineView:
    sku: str
    name: str
    unit: str
    qty: Decimal
    price: Decimal | None
    lot: str | None
    expiry: date | None

    @property
    def amount(self) -> Decimal | None:
        return None if self.price is None else self.qty * self.price


@dataclass(frozen=True)
class DocumentView:
    id: int
    number: str
    type: str
    status: str
    warehouse: str
    to_warehouse: str | None
    partner: str | None
    created_by: str
    created_at: datetime
    posted_at: datetime | None
    original_number: str | None
    note: str
    lines: tuple[LineView, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def priced(self) -> bool:
        """Whether any line has a price: write-offs, counts, issues and transfers have none."""
        return any(line.price is not None for line in self.lines)


@dataclass(frozen=True)
class Change:
    """One row of "before → after" shown on an approval card."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ApprovalView:
    id: int
    number: str
    subject: str
    status: str
    warehouse: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    reason: str
    changes: tuple[Change, ...]
    document: DocumentView | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    seen_versions: dict[str, Any]
    # How many times the request was refreshed with newer numbers (its cards carry it).
    revision: int = 0

    @property
    def summary(self) -> str:
        """One line for lists: a price change is its change (and the requester's reason); a
        document is why it needs approval."""
        if self.document is not None:
            return self.reason
        changed = "；".join(f"{c.label} {c.before} → {c.after}" for c in self.changes)
        return f"{changed}（{self.reason}）" if self.reason else changed


@dataclass(frozen=True)
class SubstitutionView:
    """A substitute taken for a short component: ``used`` of it stood in for ``covered``."""

    component: str
    component_unit: str
    covered: Decimal
    substitute: str
    substitute_unit: str
    used: Decimal


@dataclass(frozen=True)
class Posted:
    document: DocumentView
    balances: tuple[BalanceView, ...]
    replayed: bool = False
    substitutions: tuple[SubstitutionView, ...] = ()


@dataclass(frozen=True)
class NeedsApproval:
    approval: ApprovalView
    replayed: bool = False


@dataclass(frozen=True)
class PriceChanged:
    sku: str
    name: str
    old_price: Decimal
    new_price: Decimal


@dataclass(frozen=True)
class ItemView:
    sku: str
    name: str
    unit: str
    barcode: str | None
    price: Decimal
    cost: Decimal
    category: str
    shelf_life_days: int | None
    reorder_point: Decimal


@dataclass(frozen=True)
class BatchStock:
    lot: str
    expiry: date | None
    qty: Decimal
    expired: bool


@dataclass(frozen=True)
class WarehouseStock:
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    batches: tuple[BatchStock, ...]
    # Still to ship on open sales orders (core.orders): promised, not yet gone.
    ordered: Decimal = Decimal(0)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved - self.ordered

    @property
    def listed_batches(self) -> tuple[BatchStock, ...]:
        """The lines a reply lists, adding up to ``on_hand``: none when the only stock is
        unbatched (the total says it all), else every batch, the unbatched one included."""
        if all(not b.lot and b.expiry is None for b in self.batches):
            return ()
        return self.batches


@dataclass(frozen=True)
class ItemStock:
    sku: str
    name: str
    unit: str
    price: Decimal
    barcode: str | None
    category: str
    reorder_point: Decimal
    warehouses: tuple[WarehouseStock, ...] = field(default_factory=tuple)

    @property
    def on_hand(self) -> Decimal:
        return sum((w.on_hand for w in self.warehouses), Decimal(0))


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: tuple[T, ...]
    next_cursor: str | None
