"""Demo data for the sandbox: a fresh supermarket with five weeks of history (the anomaly
detector learns from the first three, so the walkthrough's 负销售异常 names the clerk).

Forty items in nine categories; batches expiring this week and some already expired; a few
items under their reorder point; staff 小王 and 小张 (clerks), 李姐 (manager), 老板 (admin)
and 审计 (auditor); a store group and a purchasing group. 小张 has been selling vegetables
and reversing the sales as "negative sales" at about four in the afternoon, as in the case
that cost one store 18% of its vegetables.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from bot.sandbox import demo_money
from core import catalog, ledger, orders
from core.catalog import ItemKind, NewItem
from core.ledger import Line, Receive, Sell
from core.storage import UnitOfWork, in_transaction

STORE_CHAT = "jxc-store-main"
PURCHASING_CHAT = "jxc-purchasing-main"
STAFF = [
    ("xiaowang", "小王", "clerk"),
    ("xiaozhang", "小张", "clerk"),
    ("lijie", "李姐", "manager"),
    ("laoban", "老板", "admin"),
    ("shenji", "审计", "auditor"),
]
HONEST, SUSPECT = "xiaowang", "xiaozhang"
HISTORY_DAYS = 35
FRAUD_DAYS = 9
# sku, name, category, unit, unit precision, price, cost, shelf life days, reorder point
CATALOGUE = [
    ("COKE", "可乐", "饮料", "瓶", 0, "3.5", "2.0", 365, 24),
    ("SPRITE", "雪碧", "饮料", "瓶", 0, "3.5", "2.0", 365, 24),
    ("WATER", "矿泉水", "饮料", "瓶", 0, "2.0", "0.9", 365, 48),
    ("JUICE", "橙汁", "饮料", "盒", 0, "6.5", "4.2", 180, 12),
    ("TEA", "冰红茶", "饮料", "瓶", 0, "3.0", "1.8", 270, 24),
    ("MILK", "鲜牛奶", "乳品", "盒", 0, "6.0", "4.0", 7, 20),
    ("YOGURT", "酸奶", "乳品", "杯", 0, "4.5", "2.8", 21, 20),
    ("CHEESE", "奶酪棒", "乳品", "包", 0, "12.0", "8.0", 60, 6),
    ("CABBAGE", "大白菜", "蔬菜", "kg", 3, "2.6", "1.4", 7, 15),
    ("TOMATO", "西红柿", "蔬菜", "kg", 3, "6.8", "4.0", 7, 10),
    ("CUCUMBER", "黄瓜", "蔬菜", "kg", 3, "5.2", "3.0", 6, 10),
    ("POTATO", "土豆", "蔬菜", "kg", 3, "3.6", "2.0", 30, 15),
    ("GREENS", "上海青", "蔬菜", "kg", 3, "7.8", "4.5", 4, 8),
    ("CARROT", "胡萝卜", "蔬菜", "kg", 3, "3.8", "2.2", 20, 10),
    ("APPLE", "红富士苹果", "水果", "kg", 3, "12.8", "8.0", 30, 10),
    ("BANANA", "香蕉", "水果", "kg", 3, "6.6", "4.0", 6, 10),
    ("ORANGE", "赣南脐橙", "水果", "kg", 3, "9.9", "6.2", 25, 10),
    ("GRAPE", "葡萄", "水果", "kg", 3, "18.0", "11.0", 7, 5),
    ("PORK", "猪肉（前腿）", "肉禽", "kg", 3, "32.0", "24.0", 3, 5),
    ("CHICKEN", "鸡腿", "肉禽", "kg", 3, "22.0", "15.0", 3, 5),
    ("EGGS", "鲜鸡蛋", "肉禽", "盒", 0, "15.8", "11.0", 30, 10),
    ("BREAD", "吐司面包", "烘焙", "袋", 0, "9.8", "5.5", 5, 10),
    ("CROISSANT", "牛角包", "烘焙", "个", 0, "6.0", "2.8", 3, 12),
    ("CAKE", "蛋糕卷", "烘焙", "盒", 0, "18.0", "10.0", 4, 4),
    ("CHIPS", "薯片", "零食", "袋", 0, "7.5", "4.5", 240, 20),
    ("COOKIE", "曲奇饼干", "零食", "盒", 0, "15.0", "9.0", 300, 10),
    ("CHOCO", "巧克力", "零食", "块", 0, "9.9", "6.0", 365, 12),
    ("NUTS", "每日坚果", "零食", "袋", 0, "5.9", "3.5", 180, 20),
    ("RICE", "东北大米5kg", "粮油", "袋", 0, "49.0", "38.0", 365, 8),
    ("FLOUR", "面粉", "粮油", "袋", 0, "22.0", "16.0", 270, 6),
    ("OIL", "花生油", "粮油", "桶", 0, "79.0", "62.0", 540, 4),
    ("SOY", "生抽", "粮油", "瓶", 0, "12.5", "8.0", 540, 6),
    ("NOODLE", "挂面", "粮油", "包", 0, "6.5", "4.0", 365, 10),
    ("TISSUE", "抽纸", "日用", "提", 0, "19.9", "13.0", None, 10),
    ("SOAP", "洗衣液", "日用", "瓶", 0, "39.9", "26.0", None, 5),
    ("TOOTH", "牙膏", "日用", "支", 0, "12.9", "7.5", None, 8),
    ("BAG", "垃圾袋", "日用", "卷", 0, "5.0", "2.5", None, 20),
    ("BATTERY", "5号电池", "日用", "板", 0, "12.0", "7.0", None, 6),
    ("ICE", "雪糕", "零食", "支", 0, "4.0", "2.0", 365, 30),
    ("TOFU", "嫩豆腐", "蔬菜", "盒", 0, "3.5", "2.0", 3, 10),
]
UNDER_REORDER = {"RICE", "OIL", "CHOCO"}


def ean13(payload: str) -> str:
    """``payload`` (12 digits) with its EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload))
    return payload + str((10 - total % 10) % 10)


# Barcodes for scanning (sku, code, units per scan): bottles, and 可乐's 12-pack.
BARCODES = [
    ("COKE", ean13("690123456700"), 1),
    ("COKE", ean13("690123456701"), 12),
    ("SPRITE", ean13("690123456712"), 1),
    ("WATER", ean13("690123456713"), 1),
    ("JUICE", ean13("690123456714"), 1),
    ("TEA", ean13("690123456715"), 1),
]
# Weighed goods: the item code the scale prints inside its 2x EAN-13 (grams follow it).
SCALE_CODES = [("APPLE", "00123"), ("BANANA", "00124")]
# What the page's camera offers: (code, what it is).
SCAN_CODES = [
    (BARCODES[0][1], "可乐 1 瓶"),
    (BARCODES[1][1], "可乐 整箱 12 瓶"),
    (BARCODES[2][1], "雪碧 1 瓶"),
    (BARCODES[3][1], "矿泉水 1 瓶"),
    (BARCODES[4][1], "橙汁 1 盒"),
    (BARCODES[5][1], "冰红茶 1 瓶"),
    (ean13("210012301250"), "称重签：红富士苹果 1.250 kg"),
    (ean13("210012400800"), "称重签：香蕉 0.800 kg"),
    (BARCODES[0][1][:-1] + str((int(BARCODES[0][1][-1]) + 1) % 10), "可乐（末位看错，校验位不对）"),
    (ean13("690123456789"), "不在商品库的条码"),
]
# 28 sales a day of 1–3 items each: an item is in about 1.4 of them, 1–3 units or 0.3–2.5 kg a
# time, so it sells about 8.4 units or 5.9 kg in the three days between deliveries.
THREE_DAYS = {0: 10, 3: 7}  # by unit precision
FRESH_DAYS, SHORT_DAYS = 30, 7
VEGETABLES = ("CABBAGE", "TOMATO", "GREENS", "CUCUMBER")


async def has_data(uow: UnitOfWork) -> bool:
    return await in_transaction(uow, catalog.has_items)


async def seed(uow: UnitOfWork, today: date) -> None:
    """Fill an empty ledger; ``today`` is the shop's date (the history ends yesterday)."""
    await in_transaction(uow, _catalogue_and_staff)
    rng = random.Random(20261126)
    start = today - timedelta(days=HISTORY_DAYS)
    for offset in range(HISTORY_DAYS):
        day = start + timedelta(days=offset)
        fraud = offset >= HISTORY_DAYS - FRAUD_DAYS
        for moment, cmd in _day(day, offset, today, rng, fraud, uow.tz):
            await in_transaction(uow.with_clock(partial(_fixed, moment)), partial(_record, cmd))
    await demo_money.seed(uow, today)


def _fixed(moment: datetime) -> datetime:
    return moment


async def _record(cmd: Receive | Sell, uow: UnitOfWork) -> object:
    """Post a document of the history as it happened (no approvals: it is the past)."""
    return await ledger.submit(uow, cmd, enforce_policy=False)


def demo_item(
    sku: str,
    name: str,
    category: str,
    unit: str,
    precision: int,
    price: str,
    cost: str,
    shelf: int | None,
    reorder: int,
    kind: str = ItemKind.STOCK,
) -> NewItem:
    """A demo shop's item, reordering three times its reorder point."""
    return NewItem(
        sku,
        name,
        unit,
        Decimal(price),
        Decimal(cost),
        category=category,
        unit_precision=precision,
        shelf_life_days=shelf,
        reorder_point=Decimal(reorder),
        reorder_qty=Decimal(reorder * 3),
        kind=ItemKind(kind),
    )


async def _catalogue_and_staff(uow: UnitOfWork) -> None:
    catalog.add_items(uow, (demo_item(*entry) for entry in CATALOGUE))
    await uow.session.flush()
    for sku, code, pack in BARCODES:
        await orders.add_barcode(uow, "sandbox", sku, code, Decimal(pack))
    for sku, code in SCALE_CODES:
        await orders.add_barcode(uow, "sandbox", sku, code, scale="weight")
    for userid, name, role in STAFF:
        await catalog.save_user(uow, "sandbox", userid, name, role, ["MAIN"])
    await catalog.configure_warehouse(
        uow, "sandbox", "MAIN", group_chat_id=STORE_CHAT, purchasing_chat_id=PURCHASING_CHAT
    )


Timed = tuple[datetime, Receive | Sell]


def _day(
    day: date, offset: int, today: date, rng: random.Random, fraud: bool, tz: ZoneInfo
) -> list[Timed]:
    def at(hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tz)

    events: list[Timed] = []
    if offset % 3 == 0:
        events.append((at(7, 30), _restock(offset, day, today)))
    for n in range(28):
        minute = 9 * 60 + n * 25 + rng.randint(0, 20)
        clerk = HONEST if n % 2 else SUSPECT
        events.append((at(minute // 60, minute % 60), _sale(rng, clerk)))
    if fraud:
        events.extend(
            _reversed_sale(rng, at(15, 35 + rng.randint(0, 10)), at(16, rng.randint(0, 20)))
        )
    return sorted(events, key=lambda event: event[0])


def _restock(offset: int, day: date, today: date) -> Receive:
    lines = []
    for sku, _, _, _, precision, _, _, shelf, reorder in CATALOGUE:
        if sku in UNDER_REORDER and offset > 0:
            continue
        qty = _restock_qty(sku, shelf, reorder, precision, offset)
        lines.append(
            Line(sku, Decimal(qty), lot=_lot(sku, day), expiry=_expiry(sku, shelf, day, today))
        )
    return Receive(warehouse="MAIN", actor=HONEST, partner="鲜丰配送中心", lines=tuple(lines))


def _restock_qty(sku: str, shelf: int | None, reorder: int, precision: int, offset: int) -> int:
    """A first delivery, then top-ups of a little over three days' sales.

    Goods that keep a month or less get no more than that, so their lots sell out first expiry
    first and only a little of each is left to expire; the first delivery of those that keep a
    week or less is one top-up over the reorder point for the same reason. Goods that keep
    longer get more than they sell and never run dry.
    """
    if sku in UNDER_REORDER:
        return reorder // 2
    top_up = THREE_DAYS[precision]
    if shelf is None or shelf > FRESH_DAYS:
        return reorder * 3 if offset == 0 else max(reorder // 3 + 4, top_up + 2)
    if offset == 0:
        return reorder + top_up * (1 if shelf <= SHORT_DAYS else 2)
    return top_up


def _lot(sku: str, day: date) -> str:
    return f"{sku[:3]}{day:%m%d}"


def _expiry(sku: str, shelf: int | None, day: date, today: date) -> date | None:
    """Mostly shelf life; a few lots chosen so the expiry alert has something to say."""
    if shelf is None:
        return None
    if sku == "YOGURT" and (today - day).days > 15:
        return today - timedelta(days=2)
    if sku in ("MILK", "BREAD") and (today - day).days <= 3:
        return today + timedelta(days=2)
    return day + timedelta(days=shelf)


def _sale(rng: random.Random, clerk: str) -> Sell:
    picks = rng.sample(CATALOGUE, rng.randint(1, 3))
    lines = tuple(Line(p[0], _qty(rng, p[4])) for p in picks if p[0] not in UNDER_REORDER)
    return Sell(warehouse="MAIN", actor=clerk, lines=lines or (Line("WATER", Decimal(1)),))


def _qty(rng: random.Random, precision: int) -> Decimal:
    if precision:
        return Decimal(rng.randint(300, 2500)) / 1000
    return Decimal(rng.randint(1, 3))


def _reversed_sale(rng: random.Random, sold_at: datetime, reversed_at: datetime) -> list[Timed]:
    sku = rng.choice(VEGETABLES)
    # About 5% of his sales value: enough for the anomaly rule's share signal to find him.
    qty = Decimal(rng.randint(5000, 8000)) / 1000
    sale = Sell(warehouse="MAIN", actor=SUSPECT, lines=(Line(sku, qty),))
    reversal = Sell(warehouse="MAIN", actor=SUSPECT, lines=(Line(sku, -qty),))
    return [(sold_at, sale), (reversed_at, reversal)]
