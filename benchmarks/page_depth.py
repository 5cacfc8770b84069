"""``单据`` page 1 against a page ten thousand pages deep, on the large bulk ledger.

Reaching page 10 000 by paging would take 10 000 queries before the first measurement, so
the benchmark asks SQLite once for the row that ends page 9 999 (``ORDER BY created_at DESC,
id DESC LIMIT 1 OFFSET …``, the list's own order) and builds the cursor the list would have
handed out after it (``queries.cursor_after``). The test checks that this cursor lands on the
page that paging reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from benchmarks import bulk
from benchmarks.bulk import LedgerSize
from benchmarks.latency import Latency, ratio, sample
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from core import ledger
from core.ledger import DocumentFilter
from core.storage import Document

PAGE_SIZE = 10  # what ``单据`` shows (handlers.documents.PAGE_SIZE)


@dataclass(frozen=True)
class Config:
    ledger: LedgerSize
    depth: int  # the page compared with page 1
    queries: int


FULL = Config(bulk.LARGE, depth=10_000, queries=200)
QUICK = Config(bulk.QUICK, depth=500, queries=100)


async def measure(env: BenchEnv, config: Config | None = None) -> list[Measurement]:
    config = config or (QUICK if env.quick else FULL)
    env.log(f"document pages: building ledger ({config.ledger.label()})")
    path = await bulk.cached(env.workdir, config.ledger, datetime.now(UTC))
    cursor = await cursor_of_page(path, config.depth)
    first = await page_latency(path, None, config.queries)
    deep = await page_latency(path, cursor, config.queries)
    return [
        Measurement(
            key="page_depth_ratio",
            title=f"单据 page {config.depth:,} vs page 1 (p50)",
            value=ratio(deep.p50, first.p50),
            goal=Goal("<=", 1.5),
            project=deep.text(),
            baseline=first.text(),
            raw={
                "deep": deep.raw(),
                "first": first.raw(),
                "depth": config.depth,
                "page_size": PAGE_SIZE,
                "documents": config.ledger.documents,
                "p99_ratio": round(ratio(deep.p99, first.p99), 4),
            },
        )
    ]


async def cursor_of_page(path: Path, page: int) -> str | None:
    """The cursor that ``list_documents`` returns with page ``page - 1``."""
    if page <= 1:
        return None
    async with bulk.unit_of_work(path) as uow, uow:
        last_of_previous = await uow.session.scalar(
            select(Document)
            .order_by(Document.created_at.desc(), Document.id.desc())
            .offset((page - 1) * PAGE_SIZE - 1)
            .limit(1)
        )
        if last_of_previous is None:
            raise ValueError(f"the ledger has fewer than {page} pages of documents")
        return ledger.cursor_after(last_of_previous)


async def page_latency(path: Path, cursor: str | None, count: int) -> Latency:
    async with bulk.unit_of_work(path) as uow:

        async def list_page(_: int) -> None:
            async with uow:
                await ledger.list_documents(uow, DocumentFilter(), cursor, PAGE_SIZE)

        return await sample(list_page, count)
