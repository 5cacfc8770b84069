"""What a simulated store history is made of, and how it leaves the simulator: as the facts
``core.analytics`` would read, as ledger commands, or as a ``jxc import documents`` CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from core.analytics import SalesLine
from core.ledger import DocumentCommand, Line, ReturnSale, Sell
from core.storage import Item

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A lone shop's warehouse; a chain's stores have codes of their own.
MAIN = "MAIN"
CSV_HEADER = ("doc_no", "type", "posted_at", "warehouse", "user", "partner", "sku", "qty",
              "price", "lot", "expiry")  # fmt: skip


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit: str
    places: int
    price: Decimal
    cost: Decimal
    category: str
    popularity: int

    @classmethod
    def parse(cls, row: str) -> Product:
        sku, name, unit, places, price, cost, category, popularity = row.split()
        return cls(sku, name, unit, int(places), Decimal(price), Decimal(cost), category,
                   int(popularity))  # fmt: skip

    def item(self) -> Item:
        return Item(sku=self.sku, name=self.name, unit=self.unit, unit_precision=self.places,
                    price=self.price, cost=self.cost, category=self.category)  # fmt: skip


CATALOGUE = [
    Product.parse(row)
    for row in """
        CAB 大白菜 kg 2 3.20 2.00 蔬菜 9
        TOM 西红柿 kg 2 6.80 4.50 蔬菜 8
        CUC 黄瓜 kg 2 5.60 3.60 蔬菜 7
        POT 土豆 kg 2 4.00 2.40 蔬菜 7
        SPN 菠菜 kg 2 9.80 6.00 蔬菜 5
        APL 红富士苹果 kg 2 12.80 8.00 水果 6
        BAN 香蕉 kg 2 7.90 5.00 水果 6
        COK 可乐 瓶 0 3.50 2.00 饮料 8
        WAT 矿泉水 瓶 0 2.00 1.00 饮料 7
        MLK 鲜牛奶 盒 0 6.00 4.00 乳品 6
        YOG 酸奶 杯 0 5.50 3.30 乳品 5
        EGG 鸡蛋 盒 0 18.00 13.00 副食 5
        RIC 大米5kg 袋 0 39.00 30.00 粮油 2
        OIL 花生油 桶 0 79.00 62.00 粮油 1
        CHP 薯片 袋 0 8.50 5.00 零食 4
    """.strip().splitlines()
]
PRODUCTS = {p.sku: p for p in CATALOGUE}


def catalogue() -> list[Item]:
    return [p.item() for p in CATALOGUE]


@dataclass(frozen=True)
class Clerk:
    userid: str
    shift: tuple[int, int]
    sales_per_hour: float
    day_off: int
    named_returns: float = 0.85
    correction_rate: float = 0.006
    returns_desk: bool = False
    first_day: int = 0


@dataclass(frozen=True)
class Fraud:
    clerk: str
    start_day: int
    minute: int
    daily_share: float
    kind: str
    own_sales: bool
    jitter: int
    day_probability: float
    # Sparse fraud: only these weekdays, at a random hour of the shift each time.
    weekdays: tuple[int, ...] | None = None
    hours_vary: bool = False
    # Collusion: the colleague whose sales this clerk reverses.
    victim: str | None = None


@dataclass(frozen=True)
class SimLine:
    sku: str
    qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class SimDocument:
    number: str
    doc_type: str
    at: datetime
    warehouse: str
    user: str
    partner: str | None
    lines: tuple[SimLine, ...]
    fraud: bool = False


@dataclass
class StoreHistory:
    start: date
    days: int
    clerks: tuple[Clerk, ...]
    frauds: tuple[Fraud, ...] = ()
    documents: list[SimDocument] = field(default_factory=list)
    # Shop days [first, last) of a festival peak, and how much busier they are.
    peak: tuple[int, int, float] | None = None
    # The share of mistyped quantities a colleague at the till voids instead of the clerk.
    colleague_fixes: float = 0.0

    @property
    def warehouses(self) -> set[str]:
        """The stores the history's documents were recorded in (several in a chain)."""
        return {d.warehouse for d in self.documents}

    @property
    def fraud(self) -> Fraud | None:
        return self.frauds[0] if self.frauds else None

    @property
    def fraud_clerks(self) -> set[str]:
        return {f.clerk for f in self.frauds}

    @property
    def fraud_days(self) -> list[date]:
        """The shop days on which fraudulent documents were recorded, in order."""
        return sorted({d.at.astimezone(SHANGHAI).date() for d in self.documents if d.fraud})

    @property
    def fraud_started_at(self) -> datetime | None:
        return next((d.at for d in self.documents if d.fraud), None)

    @property
    def honest_clerks(self) -> set[str]:
        return {c.userid for c in self.clerks} - self.fraud_clerks

    def fraud_days_before(self, until: datetime) -> int:
        """On how many shop days fraud was committed before ``until``."""
        return len({d.at.astimezone(SHANGHAI).date() for d in self.documents
                    if d.fraud and d.at < until})  # fmt: skip

    def store(self, warehouse: str) -> StoreHistory:
        """One store of a chain alone, as if it were a lone shop."""
        documents = [d for d in self.documents if d.warehouse == warehouse]
        users = {d.user for d in documents}
        clerks = tuple(c for c in self.clerks if c.userid in users)
        frauds = tuple(f for f in self.frauds if f.clerk in users)
        return replace(self, clerks=clerks, frauds=frauds, documents=documents)

    def between(self, since: datetime, until: datetime) -> StoreHistory:
        return replace(self, documents=[d for d in self.documents if since <= d.at < until])

    def sales_lines(self) -> list[SalesLine]:
        """The facts ``core.analytics.sales_lines`` would return for this history."""
        return [self._fact(d, ln) for d in self.documents for ln in d.lines]

    def _fact(self, d: SimDocument, ln: SimLine) -> SalesLine:
        product = PRODUCTS[ln.sku]
        return SalesLine(
            document=d.number, doc_type=d.doc_type, warehouse=d.warehouse, clerk=d.user,
            at=d.at, partner=d.partner, original=None, sku=ln.sku, name=product.name,
            unit=product.unit, qty=ln.qty, price=ln.price, cost=product.cost,
        )  # fmt: skip

    def commands(self) -> Iterator[DocumentCommand]:
        """The history as ledger commands, to post with ``submit(enforce_policy=False)``."""
        for d in self.documents:
            kind = Sell if d.doc_type == "sale" else ReturnSale
            lines = tuple(Line(ln.sku, ln.qty, ln.price) for ln in d.lines)
            yield kind(warehouse=d.warehouse, actor=d.user, lines=lines, partner=d.partner,
                       posted_at=d.at, number=d.number, note="模拟")  # fmt: skip

    def write_csv(self, path: Path) -> None:
        """The ``jxc import documents`` format; times naive, meaning Asia/Shanghai."""
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADER)
            for d in self.documents:
                local = d.at.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
                partner = d.partner or ""
                for ln in d.lines:
                    row = [d.number, d.doc_type, local, d.warehouse, d.user, partner, ln.sku]
                    writer.writerow([*row, ln.qty, ln.price, "", ""])


def chain(stores: Sequence[StoreHistory]) -> StoreHistory:
    """The stores of one chain as one history: the same days, each store's own warehouse
    code on its documents and its own clerks (ids and document numbers distinct).
    """
    first = stores[0]
    assert all((s.start, s.days) == (first.start, first.days) for s in stores)
    documents = sorted((d for s in stores for d in s.documents), key=lambda d: (d.at, d.number))
    clerks = tuple(c for s in stores for c in s.clerks)
    assert len({c.userid for c in clerks}) == len(clerks)
    frauds = tuple(f for s in stores for f in s.frauds)
    return StoreHistory(first.start, first.days, clerks, frauds, documents)
