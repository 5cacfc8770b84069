"""Sales activity per clerk and day, with each reversal annotated once.

A reversal is a posted sales return or a negative sale line. Annotating looks only backwards
(the clerk's sales earlier the same day), so a reversal reads the same whatever window a later
run puts around it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from core.analytics import SalesLine
from notifications.settings import AnomalySettings

ZERO = Decimal(0)


@dataclass(frozen=True)
class Reversal:
    """The lines of one document that take goods back, less quick corrections of a typo."""

    document: str
    doc_type: str
    warehouse: str
    clerk: str
    at: datetime
    day: date
    minute: int
    lines: tuple[SalesLine, ...]
    value: Decimal
    orphan: bool
    own_value: Decimal
    own_sales: tuple[SalesLine, ...]


@dataclass
class ClerkDay:
    """Sale documents (time, running value, minute of day) and reversals of a clerk's day."""

    sale_times: list[float] = field(default_factory=list)
    running_value: list[Decimal] = field(default_factory=list)
    sale_minutes: list[int] = field(default_factory=list)
    reversals: list[Reversal] = field(default_factory=list)
    corrections: int = 0

    def add_sale(self, at: datetime, value: Decimal, minute: int) -> None:
        total = self.running_value[-1] if self.running_value else ZERO
        self.sale_times.append(at.timestamp())
        self.running_value.append(total + value)
        self.sale_minutes.append(minute)

    def sales_before(self, cutoff: float) -> int:
        """How many of the day's sale documents were made before POSIX time ``cutoff``."""
        return bisect_left(self.sale_times, cutoff)

    def value_of_first(self, count: int) -> Decimal:
        return self.running_value[count - 1] if count else ZERO


@dataclass
class Activity:
    tz: ZoneInfo
    days: dict[str, dict[date, ClerkDay]]


def build_activity(lines: Iterable[SalesLine], tz: ZoneInfo, settings: AnomalySettings) -> Activity:
    """``lines`` oldest first, as ``core.analytics.sales_lines`` returns them."""
    days: dict[str, dict[date, ClerkDay]] = defaultdict(lambda: defaultdict(ClerkDay))
    earlier: dict[tuple[str, date, str], list[SalesLine]] = defaultdict(list)
    for document in _documents(lines):
        first = document[0]
        local = first.at.astimezone(tz)
        clerk_day = days[first.clerk][local.date()]
        undone = [line for line in document if line.is_reversal]
        if undone:
            _add_reversal(clerk_day, undone, earlier, local, settings)
        sold = [line for line in document if not line.is_reversal]
        if sold:
            value = sum((line.amount for line in sold), ZERO)
            clerk_day.add_sale(first.at, value, local.hour * 60 + local.minute)
        for line in sold:
            earlier[(line.clerk, local.date(), line.sku)].append(line)
    return Activity(tz, days)


def _documents(lines: Iterable[SalesLine]) -> Iterator[list[SalesLine]]:
    for _, group in groupby(lines, key=lambda line: line.document):
        yield list(group)


def _add_reversal(
    clerk_day: ClerkDay,
    undone: list[SalesLine],
    earlier: dict[tuple[str, date, str], list[SalesLine]],
    local: datetime,
    settings: AnomalySettings,
) -> None:
    kept, own = _without_corrections(undone, earlier, local.date(), settings)
    if not kept:
        clerk_day.corrections += 1
        return
    first = kept[0]
    orphan = not first.partner and not first.original
    # A named customer bringing back what they bought from this clerk this morning is an
    # ordinary return; an unbacked reversal of one's own earlier sale is the seed case.
    own = own if orphan else []
    clerk_day.reversals.append(
        Reversal(
            document=first.document,
            doc_type=first.doc_type,
            warehouse=first.warehouse,
            clerk=first.clerk,
            at=first.at,
            day=local.date(),
            minute=local.hour * 60 + local.minute,
            lines=tuple(kept),
            value=sum((line.amount for line in kept), ZERO),
            orphan=orphan,
            own_value=sum((line.amount for line, _ in own), ZERO),
            own_sales=tuple(sale for _, sale in own),
        )
    )


def _without_corrections(
    undone: list[SalesLine],
    earlier: dict[tuple[str, date, str], list[SalesLine]],
    day: date,
    settings: AnomalySettings,
) -> tuple[list[SalesLine], list[tuple[SalesLine, SalesLine]]]:
    """The lines that are not quick corrections, and those of them undoing an own sale."""
    kept: list[SalesLine] = []
    own: list[tuple[SalesLine, SalesLine]] = []
    for line in undone:
        sale = _own_sale(line, earlier.get((line.clerk, day, line.sku), []), settings)
        # Undoing a mistyped quantity minutes after ringing it up is an honest correction;
        # the pattern of the seed case undoes earlier sales hours later.
        if sale is not None and line.at - sale.at <= timedelta(minutes=settings.correction_minutes):
            continue
        kept.append(line)
        if sale is not None:
            own.append((line, sale))
    return kept, own


def _own_sale(
    line: SalesLine, sales: list[SalesLine], settings: AnomalySettings
) -> SalesLine | None:
    """The clerk's latest sale of this item earlier today that could have been this big."""
    since = line.at - timedelta(hours=settings.same_day_hours)
    for sale in reversed(sales):
        if sale.at < since:
            return None
        if abs(line.qty) <= sale.qty:
            return sale
    return None
