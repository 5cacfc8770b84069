"""``jxc bench``: does the ledger stay fast as history grows?

Each benchmark runs the same operation on a small ledger (the baseline) and on one with a
long history, in the same run on the same machine, and reports the ratio. A ratio near 1
means the cost does not grow with the data — the pain of shops whose old software slows
down as the years pile up.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from benchmarks.history import add_history, epoch, seed_items
from config import Settings
from core import documents, queries, schema, staff
from core.commands import Line, Receive, Sell
from core.db import create_engine, create_sessionmaker
from core.uow import UnitOfWork, in_transaction

Operation = Callable[[UnitOfWork, int], Awaitable[object]]


@dataclass(frozen=True)
class Result:
    name: str
    baseline_docs: int
    large_docs: int
    baseline_ms: float
    large_ms: float

    @property
    def ratio(self) -> float:
        return self.large_ms / self.baseline_ms


@asynccontextmanager
async def ledger(path: Path, history: int) -> AsyncIterator[UnitOfWork]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await schema.upgrade(engine)
        uow = UnitOfWork(create_sessionmaker(engine), clock=epoch, settings=Settings())
        await fill(uow, history)
        yield uow
    finally:
        await engine.dispose()


async def fill(uow: UnitOfWork, history: int) -> None:
    async def build(u: UnitOfWork) -> None:
        await seed_items(u)
        await staff.save_user(u, "bench", "bench", "压测", "manager", ["MAIN"])
        await add_history(u, history)

    await in_transaction(uow, build)
    await in_transaction(
        uow,
        lambda u: documents.submit(
            u,
            Receive(
                warehouse="MAIN",
                actor="bench",
                lines=tuple(Line(f"SKU{n:04d}", Decimal(100000)) for n in range(200)),
            ),
        ),
    )


async def post_sale(uow: UnitOfWork, n: int) -> object:
    cmd = Sell(warehouse="MAIN", actor="bench", lines=(Line(f"SKU{n % 200:04d}", Decimal(1)),))
    return await in_transaction(uow, lambda u: documents.submit(u, cmd))


async def stock_query(uow: UnitOfWork, n: int) -> object:
    return await in_transaction(uow, lambda u: queries.stock_of(u, f"SKU{n % 200:04d}"))


async def document_page(uow: UnitOfWork, n: int) -> object:
    filters = queries.DocumentFilter(created_by=f"clerk{n % 5}")
    return await in_transaction(uow, lambda u: queries.list_documents(u, filters, limit=50))


OPERATIONS: dict[str, Operation] = {
    "post a sale": post_sale,
    "stock of an item": stock_query,
    "first page of a clerk's documents": document_page,
}


async def timed(uow: UnitOfWork, operation: Operation, repeats: int) -> float:
    samples = []
    for n in range(repeats):
        started = time.perf_counter()
        await operation(uow, n)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def run(quick: bool) -> list[Result]:
    small, large = (1_000, 20_000) if quick else (1_000, 200_000)
    repeats = 30 if quick else 100
    with tempfile.TemporaryDirectory(prefix="jxc-bench-") as folder:
        async with (
            ledger(Path(folder) / "small.db", small) as base,
            ledger(Path(folder) / "large.db", large) as big,
        ):
            results = []
            for name, operation in OPERATIONS.items():
                baseline = await timed(base, operation, repeats)
                measured = await timed(big, operation, repeats)
                results.append(Result(name, small, large, baseline, measured))
    return results


def report(results: list[Result]) -> str:
    lines = [f"{'benchmark':36} {'baseline':>14} {'large':>16} {'ratio':>7}"]
    for r in results:
        lines.append(
            f"{r.name:36} {r.baseline_ms:8.2f} ms@{r.baseline_docs:<4} "
            f"{r.large_ms:8.2f} ms@{r.large_docs:<6} {r.ratio:6.2f}x"
        )
    return "\n".join(lines)


def save(results: list[Result], path: Path) -> None:
    rows = [{**asdict(r), "ratio": round(r.ratio, 3)} for r in results]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
