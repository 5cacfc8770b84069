"""The scale benchmarks on tiny ledgers: the bulk ledger is one the services could have
written, the deep-page cursor lands where paging does, and each benchmark reports its figure.
Timings are never asserted: only that the figures exist."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks import alert_scan, bulk, page_depth, rss, stock_scale
from benchmarks.bulk import LedgerSize, Plan, stride_for
from benchmarks.report import Measurement
from benchmarks.runner import BenchEnv
from core import analytics, audit, ledger
from core.ledger import DocumentFilter
from core.storage import Document, StockMove
from notifications.registry import RULES
from notifications.rules.expiry import expiry_scan
from notifications.rules.stock import low_stock_scan, said_of
from notifications.settings import AlertSettings
from tests.integration.test_benchmarks_callback import OPERATOR_WECOM

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TINY = LedgerSize(skus=60, batches=180, moves=900, lines_per_document=4)
SMALLER = LedgerSize(skus=10, batches=30, moves=100)


async def test_bulk_ledger_balances_equal_its_moves_and_stock_of_reads_them(
    tmp_path: Path,
) -> None:
    path = await bulk.build(tmp_path / "ledger.db", TINY, NOW)
    plan = Plan(TINY, NOW, stride_for(TINY.batches))
    async with bulk.unit_of_work(path) as uow, uow:
        assert await audit.first_problem(uow) is None
        assert await uow.session.scalar(select(func.count()).select_from(StockMove)) == TINY.moves
        assert await uow.session.scalar(select(func.count(Document.id))) == TINY.documents
        stock = await ledger.stock_of(uow, bulk.name(7))
    [main] = stock.warehouses
    expected = sum(plan.left_in(b) for b in range(7 * TINY.per_item, 8 * TINY.per_item))
    assert main.on_hand == Decimal(expected) > 0
    assert len(main.batches) == 2  # the older batches are sold out


async def test_bulk_ledger_has_the_low_and_expiring_stock_the_alert_scan_finds(
    tmp_path: Path,
) -> None:
    path = await bulk.build(tmp_path / "ledger.db", TINY, NOW)
    async with bulk.unit_of_work(path) as uow, uow:
        low_run = RULES["low-stock"].bind(uow, NOW, AlertSettings())
        [low] = await low_stock_scan(low_run)
        due = await analytics.low_stock_due(uow, said_of(low_run), "MAIN")
        today = uow.today()
        scan = await expiry_scan(RULES["expiry"].bind(uow, NOW, AlertSettings()), today)
        [expiring] = scan.counts
        news = await analytics.expiry_news(uow, scan.buckets, "MAIN", None)
    assert (low.low, low.due) == (2, 2)
    assert [f"{lv.warehouse}:{lv.sku}" for lv in due] == ["MAIN:SKU000000", "MAIN:SKU000050"]
    assert expiring.news_total == sum(expiring.held.values()) == len(news) > 0
    assert all((n.batch.expiry - today).days <= 30 for n in news)


async def test_computed_deep_page_cursor_lands_where_paging_arrives(tmp_path: Path) -> None:
    path = await bulk.build(tmp_path / "ledger.db", TINY, NOW)
    cursor = None
    async with bulk.unit_of_work(path) as uow:
        for _ in range(6):
            async with uow:
                page = await ledger.list_documents(uow, DocumentFilter(), cursor, 10)
            cursor = page.next_cursor
        assert await page_depth.cursor_of_page(path, 7) == cursor


def tiny_env(tmp_path: Path) -> BenchEnv:
    return BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=None)


def assert_reported(measurements: list[Measurement], key: str) -> None:
    [measurement] = measurements
    assert measurement.key == key
    assert math.isfinite(measurement.value) and measurement.value > 0


async def test_stock_scale_reports_the_query_ratio(tmp_path: Path) -> None:
    config = stock_scale.Config(TINY, SMALLER, queries=5)
    assert_reported(
        await stock_scale.measure(tiny_env(tmp_path), config), "stock_query_scale_ratio"
    )


async def test_page_depth_reports_the_deep_page_ratio(tmp_path: Path) -> None:
    config = page_depth.Config(TINY, depth=5, queries=5)
    assert_reported(await page_depth.measure(tiny_env(tmp_path), config), "page_depth_ratio")


async def test_alert_scan_reports_the_scan_ratio(tmp_path: Path) -> None:
    config = alert_scan.Config(TINY, scans=3)
    assert_reported(await alert_scan.measure(tiny_env(tmp_path), config), "alert_scan_ratio")


async def test_rss_reports_the_peak_of_a_serve_that_answered_every_message_whatever_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in OPERATOR_WECOM.items():
        monkeypatch.setenv(name, value)
    [measurement] = await rss.measure(tiny_env(tmp_path), rss.Config(TINY, rounds=2))
    assert_reported([measurement], "rss_mb")
    assert measurement.raw["replies"] == 8
