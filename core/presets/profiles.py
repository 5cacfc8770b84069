"""The industry presets of ``jxc init --preset``: what each sets, as plain data.

A preset sets every warehouse's negative-stock policy and approval threshold, the categories
it expects with their expiry-alert days, which alert rules run and when, and which commands
``帮助`` leaves out (they still work when typed: help only stays short).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

RECIPE_COMMANDS = ("配方", "生产", "领用", "用量")
# Refused where no stock is kept (they still answer, with the reason, when typed).
STOCK_COMMANDS = ("盘点", "盘点任务", "报损", "调拨", "拣货", "收货", "条码", *RECIPE_COMMANDS)
BASE_RULES = (
    "low-stock",
    "negative-stock",
    "price-below-cost",
    "count-variance",
    "expiry",
    "anomaly",
    "digest",
    "cycle-count",
)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    negative_stock: str
    approval_threshold: Decimal
    categories: Mapping[str, tuple[int, ...]]  # category → expiry alert days before expiry
    alert_rules: tuple[str, ...]
    hidden_commands: tuple[str, ...]
    schedules: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    demo: str = ""
    mode: str = "stock"  # every warehouse's mode; ``no_inventory`` keeps no stock


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "general",
            "通用零售/批发",
            negative_stock="approve",
            approval_threshold=Decimal(200),
            categories={"日用": (30, 7, 0), "饮料": (30, 7, 0), "零食": (30, 7, 0)},
            alert_rules=BASE_RULES,
            hidden_commands=RECIPE_COMMANDS,
            demo="一家超市：40 个商品、三周的销售历史",
        ),
        Preset(
            "food",
            "生鲜/食品",
            negative_stock="approve",
            approval_threshold=Decimal(200),
            categories={
                "蔬菜": (2, 1, 0),
                "水果": (3, 1, 0),
                "乳品": (5, 2, 0),
                "肉禽": (3, 1, 0),
                "烘焙": (2, 1, 0),
                "饮料": (30, 7, 0),
            },
            alert_rules=BASE_RULES,
            hidden_commands=RECIPE_COMMANDS,
            schedules={"expiry": {"hour": "7", "minute": "30"}},
            demo="一家超市：40 个商品、三周的销售历史",
        ),
        Preset(
            "restaurant",
            "餐饮（菜品配方、厨房领用）",
            # A dish is never refused at the pass: shortfalls show in 用量 and counts instead.
            negative_stock="allow",
            approval_threshold=Decimal(500),
            categories={
                "肉类": (2, 1, 0),
                "蔬菜": (2, 1, 0),
                "干货": (30, 7, 0),
                "调料": (30, 7, 0),
            },
            alert_rules=(
                "low-stock",
                "count-variance",
                "expiry",
                "digest",
                "usage-variance",
            ),
            hidden_commands=("生产", "调拨", "采购退货"),
            schedules={"digest": {"hour": "22", "minute": "30"}},
            demo="一家面馆：两道面的配方、食材入库、一周的出品和领用",
        ),
        Preset(
            "manufacturing",
            "生产加工（BOM、替代料）",
            # Materials that are not there cannot be consumed.
            negative_stock="forbid",
            approval_threshold=Decimal(1000),
            categories={"原料": (14, 3, 0), "成品": (2, 1, 0), "包材": (60, 14, 0)},
            alert_rules=(
                "low-stock",
                "count-variance",
                "expiry",
                "digest",
                "cycle-count",
                "usage-variance",
            ),
            hidden_commands=(),
            demo="一家面包坊：面包和蛋糕的 BOM（含损耗）、面粉的替代料",
        ),
        Preset(
            "no-inventory",
            "无库存（纯贸易/撮合）",
            negative_stock="allow",
            approval_threshold=Decimal(200),
            categories={},
            # No stock: no low-stock, negative-stock, expiry or count alerts.
            alert_rules=("price-below-cost", "anomaly", "digest"),
            hidden_commands=STOCK_COMMANDS,
            demo="一家粮油贸易公司：客户价目、赊销、撮合、收付款和一张未发货的订单",
            mode="no_inventory",
        ),
    )
}
