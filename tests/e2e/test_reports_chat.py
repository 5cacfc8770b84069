"""健康检查 in chat over the real wire: markdown summary, charts as images, the workbook as a
file, each uploaded to the fake WeCom with media/upload; other roles are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.fake_wecom import FakeWeCom
from tests.support.bot_harness import BotHarness, running_bot
from tests.support.ledger import seed_shop


@pytest.fixture
async def bot(sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom, data_dir=tmp_path / "data") as harness:
        await seed_shop(harness.uow())
        yield harness


async def test_manager_gets_summary_charts_and_workbook(bot: BotHarness, tmp_path: Path) -> None:
    chat = bot.chat
    await chat.say("clerk1", "入库 可乐 24 单价 2")
    await chat.say("clerk1", "销售 可乐 3 @3.5")

    replies = await chat.say("mgr1", "健康检查", timeout=60)

    assert replies[0].startswith("**进销存体检")
    assert replies[1:] == ["[image]", "[image]", "[image]", "[file]"]
    messages = bot.fake.messages_to("mgr1")[-4:]
    pictures = [bot.fake.media(m["image"]["media_id"]) for m in messages[:3]]
    assert all(p is not None and p.content.startswith(b"\x89PNG") for p in pictures)
    workbook = bot.fake.media(messages[3]["file"]["media_id"])
    assert workbook is not None and workbook.filename.endswith(".xlsx")
    book = load_workbook(BytesIO(workbook.content), read_only=True)
    overview = dict(book["概览"].iter_rows(min_row=2, values_only=True))
    assert overview["销售额"] == "¥10.50" and overview["仓库"] == "MAIN"
    assert len(bot.fake.successful("media/upload")) == 4
    # The files stay under the data dir: the outbox row names them, delivery uploaded them.
    assert list((tmp_path / "data" / "reports").glob("health-mgr1-*/health.xlsx"))


async def test_auditor_sees_all_warehouses_and_a_clerk_is_refused(bot: BotHarness) -> None:
    chat = bot.chat
    [summary, *_] = await chat.say("audit", "健康检查", timeout=60)
    assert "没有可体检的内容" in summary

    refused = await chat.say("clerk1", "健康检查")
    assert len(refused) == 1 and "店长" in refused[0] and "审计" in refused[0]
    assert bot.fake.messages_to("clerk1")[-1]["msgtype"] == "text"


async def test_a_workbook_over_the_file_limit_is_not_sent_and_the_reply_says_where_it_is(
    sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    # The real limit is WeCom's 20 MB (tests/e2e/test_alert_cards.py checks the value); the
    # history's workbook is some kilobytes, so a 4 KB limit puts it over without 20 MB of data.
    async with running_bot(
        sqlite_url, fake_wecom, data_dir=data, file_message_limit_bytes=4096
    ) as bot:
        await seed_shop(bot.uow())
        await bot.chat.say("clerk1", "入库 可乐 24 单价 2")

        replies = await bot.chat.say("mgr1", "健康检查", timeout=60)

        assert replies[1:] == ["[image]", "[image]", "[image]"]
        [workbook] = list((data / "reports").glob("health-mgr1-*/health.xlsx"))
        assert workbook.stat().st_size > 4096
        assert "超过企业微信文件消息 4.0 KiB 的上限，没有发送" in replies[0]
        assert f"文件在服务器上：{workbook.resolve()}" in replies[0]
        assert all(m["msgtype"] != "file" for m in bot.fake.messages_to("mgr1"))
        assert len(bot.fake.successful("media/upload")) == 3


async def test_words_after_the_command_are_refused_with_what_to_send(bot: BotHarness) -> None:
    [refused] = await bot.chat.say("mgr1", "健康检查 半年")
    assert "“半年”看不懂" in refused and "直接发：健康检查" in refused
    assert bot.fake.successful("media/upload") == []
