"""The expiry and low-stock alerts over the real wire: one compact card per warehouse to the
people who act, the full list as a file, a compact note to a group that cannot carry a card,
and buttons that check the clicker's role, act through the ledger's own paths, and refuse
old clicks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import wecom_api
from bot.fake_wecom import MEDIA_LIMITS, FakeWeCom
from config import WECOM_FILE_LIMIT_BYTES, Settings
from core import catalog, orders
from core.common import MAX_MESSAGE_BYTES
from core.ledger import Line, Receive
from core.storage import SHANGHAI, AuditLog, UnitOfWork
from notifications.registry import run_rule
from tests.support.alerts import post
from tests.support.bot_harness import BotHarness, running_bot
from tests.support.ledger import ITEMS, USERS, seed_shop
from tests.support.recipes import batches_of, on_hand


@pytest.fixture
async def bot(sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom, data_dir=tmp_path / "data") as harness:
        await seed_shop(harness.uow())
        yield harness


async def configure(bot: BotHarness, **fields: str) -> None:
    async def work(uow: UnitOfWork) -> None:
        await catalog.configure_warehouse(uow, "boss", "MAIN", **fields)

    await bot.run(work)


async def alert(bot: BotHarness, rule: str, at: datetime | None = None) -> None:
    async def work(uow: UnitOfWork) -> None:
        await run_rule(uow, rule, at or uow.now())

    await bot.run(work)
    await bot.settled(30)


def card_of(bot: BotHarness, userid: str, rule: str) -> dict[str, Any]:
    return [c for c in bot.fake.cards_to(userid) if c["task_id"].startswith(rule)][-1]


def buttons(card: dict[str, Any]) -> dict[str, str]:
    return {b["text"]: b["key"] for b in card["button_list"]}


def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["msgtype"] for m in messages]


def rows_of(bot: BotHarness, message: dict[str, Any]) -> list[tuple[Any, ...]]:
    stored = bot.fake.media(message["file"]["media_id"])
    assert stored is not None and stored.filename.endswith(".xlsx")
    sheet = load_workbook(BytesIO(stored.content)).worksheets[0]
    return list(sheet.iter_rows(min_row=2, values_only=True))


async def eight_milk_lots(bot: BotHarness, qty: int = 2, today: date | None = None) -> None:
    today = today or datetime.now(SHANGHAI).date()  # the shop's day: from 16:00 UTC, tomorrow
    lots = [
        Line("MILK", Decimal(qty), lot=f"L{n}", expiry=today + timedelta(days=n - 2))
        for n in range(8)
    ]
    await post(bot.uow(), Receive(warehouse="MAIN", actor="boss", lines=tuple(lots)))


async def test_expiry_goes_as_a_card_to_managers_and_a_compact_note_and_file_to_the_group(
    bot: BotHarness,
) -> None:
    await configure(bot, group_chat_id="G1")
    await eight_milk_lots(bot)
    await alert(bot, "expiry")

    group = bot.fake.appchat_messages("G1")
    assert kinds(group) == ["markdown", "file"]
    note = group[0]["markdown"]["content"]
    assert "共 8 批" in note and "最急的 5 批" in note
    assert note.count("\n- ") == 5 and "批号 L0" in note and "批号 L5" not in note
    assert "操作卡片已单独发给：老板、李姐" in note
    assert len(note.encode()) <= MAX_MESSAGE_BYTES
    assert len(rows_of(bot, group[1])) == 8
    # The card goes to the store's manager and admin, only there; nothing else to them.
    for userid in ("mgr1", "boss"):
        assert kinds(bot.fake.messages_to(userid)) == ["template_card"], userid
    for userid in ("clerk1", "clerk2", "mgr2", "audit"):
        assert bot.fake.messages_to(userid) == [], userid
    card = card_of(bot, "mgr1", "expiry")
    assert card["main_title"]["title"] == "临期/过期 8 项 · MAIN"
    rows = card["horizontal_content_list"]
    assert len(rows) == 5 and "已过期 2 天" in rows[0]["value"]
    assert list(buttons(card)) == ["报损", "调拨到 B1", "已处理"]
    assert card["sub_title_text"] == "完整清单见群里的 Excel 文件"


async def test_a_group_robot_gets_the_note_and_the_file_and_the_card_goes_to_managers(
    bot: BotHarness,
) -> None:
    await configure(bot, webhook_key="ROBOT1")
    await eight_milk_lots(bot)
    await alert(bot, "expiry")

    robot = bot.fake.webhook_messages("ROBOT1")
    assert kinds(robot) == ["markdown", "file"]
    assert "操作卡片已单独发给" in robot[0]["markdown"]["content"]
    assert kinds(bot.fake.messages_to("mgr1")) == ["template_card"]


async def test_without_a_group_the_managers_get_the_card_and_the_file(bot: BotHarness) -> None:
    await eight_milk_lots(bot)
    await alert(bot, "expiry")

    messages = bot.fake.messages_to("mgr1")
    assert kinds(messages) == ["template_card", "file"]
    assert len(rows_of(bot, messages[1])) == 8
    assert card_of(bot, "mgr1", "expiry")["sub_title_text"] == "完整清单见下一条 Excel 文件"
    assert bot.fake.successful("appchat/send") == []


async def test_writeoff_button_writes_off_the_cards_expired_batches_and_closes_the_card(
    bot: BotHarness,
) -> None:
    await eight_milk_lots(bot)  # L0, L1 expired, L2 due today, L3..L7 in date
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")
    task, keys = str(card["task_id"]), buttons(card)

    [reply] = await bot.chat.click("mgr1", task, keys["报损"])
    assert "已按提醒卡片报损 3 项（BS-" in reply and "已过账" in reply
    assert await on_hand(bot.uow(), "MILK") == 10
    held = {lot for lot, qty in (await batches_of(bot.uow(), "MILK")).items() if qty > 0}
    assert held == {"L3", "L4", "L5", "L6", "L7"}
    [update] = bot.fake.card_updates()
    assert update["button"]["replace_name"].startswith("已报损·李姐 BS-")
    assert sorted(update["userids"]) == ["boss", "mgr1"]

    [again] = await bot.chat.click("boss", task, keys["报损"])
    assert "这张卡片已由李姐处理：已报损（BS-" in again
    [done] = await bot.chat.click("boss", task, keys["已处理"])
    assert "已由李姐处理" in done
    assert len(bot.fake.card_updates()) == 1


async def test_a_writeoff_above_the_threshold_goes_to_approval_not_straight_to_the_books(
    bot: BotHarness,
) -> None:
    await eight_milk_lots(bot, qty=20)  # 60 expired boxes at ¥4: over the ¥200 threshold
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")

    [reply] = await bot.chat.click("clerk1", str(card["task_id"]), buttons(card)["报损"])
    assert "需审批后过账" in reply and "审批单 SP-" in reply and "（SP-" in reply
    assert await on_hand(bot.uow(), "MILK") == 160
    approvals = [c for c in bot.fake.cards_to("mgr1") if c["task_id"].startswith("SP-")]
    assert len(approvals) == 1 and "报损" in approvals[0]["main_title"]["title"]
    [update] = bot.fake.card_updates()
    assert update["button"]["replace_name"].startswith("报损待审批·小王 SP-")
    [again] = await bot.chat.click("mgr1", str(card["task_id"]), buttons(card)["报损"])
    assert "已由小王处理：报损待审批（SP-" in again


def redraws(bot: BotHarness) -> list[dict[str, Any]]:
    """The cards drawn anew by update_template_card (not a button's relabel)."""
    return [u["template_card"] for u in bot.fake.card_updates() if "template_card" in u]


def texts_to(bot: BotHarness, userid: str) -> list[str]:
    return [m["text"]["content"] for m in bot.fake.messages_to(userid) if m["msgtype"] == "text"]


async def write_off_for_approval(bot: BotHarness) -> tuple[dict[str, Any], dict[str, Any]]:
    """A clerk's 报损 from the card, over the threshold: the alert card and the approval card."""
    await eight_milk_lots(bot, qty=20)  # 60 expired boxes at ¥4: over the ¥200 threshold
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")
    await bot.chat.click("clerk1", str(card["task_id"]), buttons(card)["报损"])
    [request] = [c for c in bot.fake.cards_to("mgr1") if c["task_id"].startswith("SP-")]
    return card, request


async def test_a_rejected_writeoff_reopens_the_alert_card_with_its_buttons_redrawn(
    bot: BotHarness,
) -> None:
    card, request = await write_off_for_approval(bot)

    await bot.chat.click("mgr1", str(request["task_id"]), buttons(request)["驳回"])
    await bot.settled(30)
    [update] = [u for u in bot.fake.card_updates() if "template_card" in u]
    assert sorted(update["userids"]) == ["boss", "mgr1"]
    drawn = update["template_card"]
    assert drawn["task_id"] == card["task_id"]
    assert "已驳回（李姐），未做任何更改；卡片已恢复，可重新处理" in drawn["sub_title_text"]
    assert list(buttons(drawn)) == list(buttons(card))
    assert buttons(drawn)["已处理"] != buttons(card)["已处理"]  # a new revision
    [stale] = await bot.chat.click("mgr1", str(card["task_id"]), buttons(card)["已处理"])
    assert "已过时" in stale
    [done] = await bot.chat.click("mgr1", str(card["task_id"]), buttons(drawn)["已处理"])
    assert "已处理（李姐）" in done
    assert await on_hand(bot.uow(), "MILK") == 160


async def test_an_approved_writeoff_leaves_the_alert_card_naming_the_document_posted(
    bot: BotHarness,
) -> None:
    card, request = await write_off_for_approval(bot)

    await bot.chat.click("mgr1", str(request["task_id"]), buttons(request)["批准"])
    await bot.settled(30)
    assert await on_hand(bot.uow(), "MILK") == 100  # the 60 expired; the in-date 100 stay
    labels = [u["button"]["replace_name"] for u in bot.fake.card_updates() if "button" in u]
    assert any(label.startswith("已报损·李姐批准 BS-") for label in labels), labels
    [again] = await bot.chat.click("boss", str(card["task_id"]), buttons(card)["报损"])
    assert "已由小王处理：已报损（BS-" in again


async def test_a_rejected_writeoff_on_a_card_a_newer_alert_replaced_points_to_the_newer_one(
    bot: BotHarness,
) -> None:
    card, request = await write_off_for_approval(bot)
    await alert(bot, "expiry", datetime.now(UTC) + timedelta(days=1))  # lots cross a threshold
    newer = card_of(bot, "mgr1", "expiry")
    assert newer["task_id"] != card["task_id"]

    await bot.chat.click("mgr1", str(request["task_id"]), buttons(request)["驳回"])
    await bot.settled(30)
    assert redraws(bot) == []
    told = texts_to(bot, "mgr1")
    assert any("已驳回（李姐），未做任何更改；请在最新的提醒卡片上处理" in t for t in told)
    [stale] = await bot.chat.click("boss", str(card["task_id"]), buttons(card)["已处理"])
    assert "已有更新的提醒卡片" in stale
    [done] = await bot.chat.click("boss", str(newer["task_id"]), buttons(newer)["已处理"])
    assert "已处理（老板）" in done


async def test_a_card_reopened_twice_tells_its_holders_by_text_when_it_cannot_be_redrawn(
    bot: BotHarness,
) -> None:
    card, request = await write_off_for_approval(bot)
    await bot.chat.click("mgr1", str(request["task_id"]), buttons(request)["驳回"])
    await bot.settled(30)
    [drawn] = redraws(bot)
    await bot.chat.click("clerk1", str(card["task_id"]), buttons(drawn)["报损"])
    [second] = [
        c for c in bot.fake.cards_to("mgr1") if c["task_id"].startswith("SP-") and c != request
    ]
    await bot.chat.click("mgr1", str(second["task_id"]), buttons(second)["驳回"])
    await bot.settled(30)
    told = texts_to(bot, "boss")
    assert any("MAIN 提醒卡片：报损申请 SP-" in t and "已驳回（李姐）" in t for t in told)
    assert "这张卡片已不能再点" in told[-1]
    # The send's response code went on the first redraw: no second one was tried.
    assert redraws(bot) == [drawn]


async def test_transfer_button_moves_the_batches_still_in_date_to_the_chosen_warehouse(
    bot: BotHarness,
) -> None:
    await eight_milk_lots(bot)  # L0, L1 expired, L2 due today, L3..L7 in date
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")

    [reply] = await bot.chat.click("boss", str(card["task_id"]), buttons(card)["调拨到 B1"])
    assert "已按提醒卡片调拨到 B1 5 项（DB-" in reply
    assert await on_hand(bot.uow(), "MILK", warehouse_id=2) == 10
    assert await on_hand(bot.uow(), "MILK") == 6
    assert set(await batches_of(bot.uow(), "MILK")) >= {"L0", "L1", "L2"}


async def test_transfer_in_a_shop_with_one_warehouse_says_why_not_and_changes_nothing(
    sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    async with running_bot(sqlite_url, fake_wecom, data_dir=tmp_path / "data") as bot:
        await seed_one_store(bot)
        await eight_milk_lots(bot)
        await alert(bot, "expiry")
        card = card_of(bot, "mgr1", "expiry")
        assert list(buttons(card)) == ["报损", "调拨", "已处理"]
        task, keys = str(card["task_id"]), buttons(card)

        [reply] = await bot.chat.click("mgr1", task, keys["调拨"])
        assert "只有 MAIN 一个仓库，没有可以调入的仓库" in reply
        assert await on_hand(bot.uow(), "MILK") == 16
        # The card is still open: 已处理 works.
        [done] = await bot.chat.click("mgr1", task, keys["已处理"])
        assert "已处理（李姐）" in done


async def seed_one_store(bot: BotHarness) -> None:
    async def work(uow: UnitOfWork) -> None:
        catalog.add_items(uow, ITEMS)
        for userid, name, role, warehouses in USERS:
            if "B1" not in warehouses:
                await catalog.save_user(uow, "test", userid, name, role, warehouses)

    await bot.run(work)


async def test_a_wrong_role_is_refused_in_chinese_and_nothing_changes(bot: BotHarness) -> None:
    await eight_milk_lots(bot)
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")
    task, keys = str(card["task_id"]), buttons(card)

    [refused] = await bot.chat.click("clerk1", task, keys["调拨到 B1"])
    assert "“调拨”只有采购、店长、管理员可以点" in refused
    [refused] = await bot.chat.click("clerk1", task, keys["已处理"])
    assert "“已处理”只有店长、管理员可以点" in refused
    [refused] = await bot.chat.click("audit", task, keys["报损"])
    assert "“报损”只有店员、店长、管理员可以点" in refused
    assert await on_hand(bot.uow(), "MILK") == 16
    assert bot.fake.card_updates() == []
    [done] = await bot.chat.click("mgr1", task, keys["已处理"])
    assert "已处理（李姐）" in done


async def test_a_click_on_a_card_a_newer_alert_replaced_is_refused(bot: BotHarness) -> None:
    # Both runs at 10:00 and 10:01 of one shop day after today, the lots dated from it: two
    # runs a minute apart at the wall clock's time would straddle the shop's midnight when the
    # test runs at 15:59 UTC, and the second would see every lot a day older.
    day = datetime.now(SHANGHAI).date() + timedelta(days=1)
    morning = datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)
    await eight_milk_lots(bot, today=day)
    await alert(bot, "expiry", morning)
    old = card_of(bot, "mgr1", "expiry")
    gone = day - timedelta(days=1)  # the shop's today at the click: expired, so 报损 acts
    fresh = Receive(
        warehouse="MAIN", actor="boss", lines=(Line("MILK2", Decimal(4), lot="N1", expiry=gone),)
    )
    await post(bot.uow(), fresh)
    await alert(bot, "expiry", morning + timedelta(minutes=1))
    new = card_of(bot, "mgr1", "expiry")
    assert (
        new["task_id"] != old["task_id"] and new["main_title"]["title"] == "临期/过期 1 项 · MAIN"
    )

    [refused] = await bot.chat.click("mgr1", str(old["task_id"]), buttons(old)["报损"])
    assert "这张卡片已过时" in refused
    assert await on_hand(bot.uow(), "MILK") == 16
    [reply] = await bot.chat.click("mgr1", str(new["task_id"]), buttons(new)["报损"])
    assert "已按提醒卡片报损 1 项" in reply
    assert await on_hand(bot.uow(), "MILK") == 16 and await on_hand(bot.uow(), "MILK2") == 0


async def test_writeoff_on_a_card_with_only_in_date_batches_is_refused_and_the_card_stays_open(
    bot: BotHarness,
) -> None:
    today = datetime.now(SHANGHAI).date()
    lots = tuple(
        Line("MILK", Decimal(5), lot=f"D{n}", expiry=today + timedelta(days=n)) for n in (3, 30)
    )
    await post(bot.uow(), Receive(warehouse="MAIN", actor="boss", lines=lots))
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")
    task, keys = str(card["task_id"]), buttons(card)

    [refused] = await bot.chat.click("mgr1", task, keys["报损"])
    assert "卡片上 MAIN 还有库存的批次都还没过期，不报损" in refused
    assert "个别损坏的请发：报损 <商品> <数量>" in refused and "卡片保持未处理" in refused
    assert await on_hand(bot.uow(), "MILK") == 10
    assert bot.fake.card_updates() == []
    assert [c for c in bot.fake.cards_to("mgr1") if c["task_id"].startswith("SP-")] == []
    [done] = await bot.chat.click("mgr1", task, keys["已处理"])
    assert "已处理（李姐）" in done


async def test_low_stock_order_button_creates_a_purchase_order_at_the_advised_quantities(
    bot: BotHarness,
) -> None:
    restock = (Line("COKE", Decimal(3)), Line("MILK", Decimal(1), lot="M1"))
    await post(bot.uow(), Receive(warehouse="MAIN", actor="boss", lines=restock))
    await alert(bot, "low-stock")
    card = card_of(bot, "mgr1", "low-stock")
    task, keys = str(card["task_id"]), buttons(card)
    assert list(keys) == ["生成采购单", "已处理"]
    advised = {row["keyname"]: row["value"] for row in card["horizontal_content_list"]}
    assert "建议订 17 瓶" in advised["可乐"]

    [refused] = await bot.chat.click("clerk1", task, keys["生成采购单"])
    assert "只有采购、店长、管理员可以点" in refused
    [reply] = await bot.chat.click("mgr1", task, keys["生成采购单"])
    assert "已按提醒卡片生成采购单" in reply and "（CG-" in reply and "已建" in reply

    async def read(uow: UnitOfWork) -> dict[str, Decimal]:
        [order] = await orders.list_orders(uow, None, None, None, open_only=True)
        return {line.sku: line.qty for line in (await orders.order_view(uow, order.number)).lines}

    lines = await bot.run(read)
    assert lines["COKE"] == 17 and lines["MILK"] == 11
    [again] = await bot.chat.click("boss", task, keys["生成采购单"])
    assert "已由李姐处理：已生成采购单（CG-" in again
    assert (
        len(await bot.run(lambda u: orders.list_orders(u, None, None, None, open_only=True))) == 1
    )


async def test_done_marks_the_card_handled_in_the_audit_log_and_on_every_copy(
    bot: BotHarness,
) -> None:
    await eight_milk_lots(bot)
    await alert(bot, "expiry")
    card = card_of(bot, "mgr1", "expiry")

    [done] = await bot.chat.click("mgr1", str(card["task_id"]), buttons(card)["已处理"])
    assert "已处理（李姐）" in done
    [update] = bot.fake.card_updates()
    assert update["button"]["replace_name"] == "已处理·李姐"

    async def audited(uow: UnitOfWork) -> list[tuple[str, str]]:
        rows = await uow.session.scalars(select(AuditLog).where(AuditLog.action == "alert.done"))
        return [(row.actor, row.payload["task"]) for row in rows]

    assert await bot.run(audited) == [("mgr1", card["task_id"])]


async def test_a_list_over_the_file_limit_is_not_sent_and_the_group_is_told_where_it_is(
    sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    limit = 4096  # the eight-batch list is about 6 KB
    async with running_bot(
        sqlite_url, fake_wecom, data_dir=data, file_message_limit_bytes=limit
    ) as bot:
        await seed_shop(bot.uow())
        await configure(bot, group_chat_id="G1")
        await eight_milk_lots(bot)
        await alert(bot, "expiry")

        [note] = bot.fake.appchat_messages("G1")
        text = note["markdown"]["content"]
        assert "超过企业微信文件消息 4.0 KiB 的上限，没有发送" in text
        [listed] = list((data / "reports").glob("expiry-MAIN-*.xlsx"))
        assert listed.stat().st_size > limit and str(listed.resolve()) in text
        assert len(load_workbook(listed).worksheets[0]["A"]) == 9
        card = card_of(bot, "mgr1", "expiry")
        assert (
            "上限未发送" in card["sub_title_text"]
            and "reports/expiry-MAIN-" in card["sub_title_text"]
        )
        assert bot.fake.successful("media/upload") == []


def test_the_file_limit_is_wecoms_twenty_megabytes_everywhere() -> None:
    assert WECOM_FILE_LIMIT_BYTES == 20 * 1024 * 1024
    assert Settings().file_message_limit_bytes == WECOM_FILE_LIMIT_BYTES
    assert wecom_api.MEDIA_LIMITS["file"] == MEDIA_LIMITS["file"] == WECOM_FILE_LIMIT_BYTES
