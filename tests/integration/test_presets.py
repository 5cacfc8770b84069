"""``jxc init --preset``: policies, categories, alert rules and schedules, and 帮助's list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import catalog, money, presets
from core.common import InvalidInput
from core.storage import SHANGHAI, UnitOfWork
from notifications.registry import RULES
from tests.support.alerts import make_scheduler
from tests.support.chat import ChatFactory
from tests.support.cli import jxc
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


def test_every_rule_a_preset_names_exists() -> None:
    for preset in presets.PRESETS.values():
        assert set(preset.alert_rules) <= set(RULES), preset.name
        assert set(preset.schedules) <= set(RULES), preset.name


async def test_a_preset_sets_every_warehouses_policy_and_is_remembered(uow: UnitOfWork) -> None:
    await seed_shop(uow)
    await run(uow, lambda u: presets.apply_preset(u, "boss", "manufacturing"))
    for warehouse in await run(uow, catalog.list_warehouses):
        assert warehouse.negative_stock_policy == "forbid"
        assert warehouse.approval_value_threshold == Decimal(1000)
        assert warehouse.kit_consumption == "backflush"
    profile = await run(uow, presets.current_profile)
    assert profile is not None and profile.preset == "manufacturing"
    assert "usage-variance" in profile.alert_rules and profile.categories["原料"] == (14, 3, 0)
    await run(uow, lambda u: presets.apply_preset(u, "boss", "restaurant"))
    again = await run(uow, presets.current_profile)
    assert again is not None and again.preset == "restaurant"
    # The restaurant's kitchen draws by 领用: its dish sales must not take the stock again.
    assert {w.kit_consumption for w in await run(uow, catalog.list_warehouses)} == {"issue"}


async def test_unknown_preset_names_are_refused_with_the_list(uow: UnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="没有预设 bar，可选：general、food"):
        await run(uow, lambda u: presets.apply_preset(u, "boss", "bar"))
    assert await run(uow, presets.current_profile) is None


async def test_help_leaves_out_what_the_preset_hides(
    uow: UnitOfWork, chat_factory: ChatFactory
) -> None:
    await seed_shop(uow)
    chat = chat_factory(uow)
    assert "生产/produce" in await chat.say("mgr1", "帮助")
    await run(uow, lambda u: presets.apply_preset(u, "boss", "general"))
    general = await chat.say("mgr1", "帮助")
    assert "生产/produce" not in general and "配方/recipe" not in general
    assert "销售/sell" in general
    await run(uow, lambda u: presets.apply_preset(u, "boss", "restaurant"))
    restaurant = await chat.say("mgr1", "帮助")
    assert "领用/issue" in restaurant and "用量/usage" in restaurant
    assert "生产/produce" not in restaurant


async def test_the_scheduler_runs_only_the_presets_rules_on_its_schedule(
    uow: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    await seed_shop(uow)
    await run(uow, lambda u: presets.apply_preset(u, "boss", "restaurant"))
    profile = await run(uow, presets.current_profile)
    assert profile is not None
    scheduler = make_scheduler(engine, clock, settings)
    scheduler.use_profile(profile)
    fire = scheduler.triggers["digest"].get_next_fire_time(None, clock.now)
    assert fire is not None and (fire.hour, fire.minute) == (22, 30)
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    skipped = await scheduler.fire("cycle-count", at)
    assert skipped is not None and skipped.found == [] and skipped.messages == 0
    assert scheduler.alerts.expiry_days_by_category["肉类"] == (2, 1, 0)


def test_init_with_the_bakery_demo_from_the_cli(tmp_path: Path) -> None:
    result = jxc(tmp_path, "init", "--preset", "manufacturing", "--demo")
    assert result.returncode == 0, result.stderr
    assert "preset manufacturing（生产加工（BOM、替代料））: negative stock forbid" in result.stdout
    assert jxc(tmp_path, "audit", "verify").returncode == 0
    stock = jxc(tmp_path, "stock", "面包")
    assert stock.returncode == 0 and "lot SC-" in stock.stdout
    again = jxc(tmp_path, "init", "--preset", "manufacturing", "--demo")
    assert again.returncode == 1 and "--demo needs an empty database" in again.stderr
    refused = jxc(tmp_path, "init", "--preset", "no-inventory")
    assert refused.returncode == 1 and "仓库 MAIN 还有库存" in refused.stderr


def test_init_with_the_trading_demo_keeps_no_stock(tmp_path: Path) -> None:
    result = jxc(tmp_path, "init", "--preset", "no-inventory", "--demo")
    assert result.returncode == 0, result.stderr
    assert "preset no-inventory（无库存（纯贸易/撮合））: negative stock allow" in result.stdout
    assert "帮助 leaves out: 盘点、盘点任务、报损、调拨" in result.stdout
    assert jxc(tmp_path, "audit", "verify").returncode == 0
    stock = jxc(tmp_path, "stock", "大豆")
    assert stock.returncode == 0 and "lot" not in stock.stdout
    # 华丰食品厂 at its list: 22 t of soy × 4200 (cost 4000), 20 t of corn × 2450 (2300) and
    # 100 barrels of oil brokered × 160 (bought at 135); 城东粮店 at the item prices: 8 t of
    # corn × 2500 and 5 t of wheat × 2900 (2700): 191,900 sold, 179,400 cost
    margin = jxc(tmp_path, "report", "margin", "--from", "2000-01-01", "--to", "2100-01-01")
    assert margin.returncode == 0, margin.stderr
    assert "合计\t191900.00\t179400.00\t0.00\t12500.00\t6.5" in margin.stdout


async def test_the_no_inventory_preset_sets_every_warehouses_mode_and_another_sets_it_back(
    uow: UnitOfWork,
) -> None:
    await seed_shop(uow)
    await run(uow, lambda u: presets.apply_preset(u, "boss", "no-inventory"))
    for code in ("MAIN", "B1"):  # 查 answers with prices where no stock is kept
        assert await run(uow, lambda u, c=code: money.trade_prices(u, "可乐", c)) is not None
    await run(uow, lambda u: presets.apply_preset(u, "boss", "general"))
    for code in ("MAIN", "B1"):
        assert await run(uow, lambda u, c=code: money.trade_prices(u, "可乐", c)) is None


def test_init_with_the_restaurant_demo_gives_its_known_usage_from_the_cli(tmp_path: Path) -> None:
    result = jxc(tmp_path, "init", "--preset", "restaurant", "--demo")
    assert result.returncode == 0, result.stderr
    assert "negative stock allow, approval above 500, kit sales issue" in result.stdout
    today = datetime.now(SHANGHAI).date()
    first, last = (today - timedelta(days=6)).isoformat(), today.isoformat()
    report = jxc(tmp_path, "report", "usage", "--from", first, "--to", last)
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    # Six days of 30 beef noodles at 0.105 kg against 3.5 kg issued a day; the rest as recipes.
    assert lines[1] == "BEEF\t牛肉\tkg\t18.9\t21\t2.1\t¥126.00\t11.1%"
    assert all(line.split("\t")[5] == "0" for line in lines[2 : lines.index("")])
    assert "厨房\t36\t*\t合计\t\t\t¥2,052.60" in lines
    # Only the issues took stock: 24 kg of beef delivered, 21 kg issued.
    assert "MAIN\ton hand 3\t" in jxc(tmp_path, "stock", "牛肉").stdout
    # The same 11% over every day is the kitchen's usual, not a cook starting to take more.
    issues = jxc(tmp_path, "alerts", "run", "issue-anomaly")
    assert issues.returncode == 0 and "found 0, alerted 0" in issues.stdout
    assert jxc(tmp_path, "audit", "verify").returncode == 0
