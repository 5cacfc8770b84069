"""The callback route over real HTTP: WeCom's test vectors, replies, duplicates, message kinds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import select

from bot.appkeys import METRICS
from bot.fake_wecom import FakeWeCom
from bot.wecom_messages import OtherMessage, TextMessage
from core.storage import InboxMessage
from tests.support.bot_harness import AGENT_ID, BotHarness, Chat, running_bot
from tests.support.ledger import seed_shop

# WECOM.md, "Test vectors" (from wechatpy's own tests).
VECTOR_TOKEN = "123456"
VECTOR_CORP_ID = "wx49f0ab532d5d035a"
# WeCom's sample EncodingAESKey (the sandbox borrowed it; the bot harness has its own).
VECTOR_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
URL_CHECK = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOch"
    "LF6p+Q==",
}
MESSAGE_QUERY = {
    "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
    "timestamp": "1411525903",
    "nonce": "461056294",
}
MESSAGE_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHC"
    "rsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpX"
    "aG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQi"
    "MS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQi"
    "pvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
MESSAGE_BODY = (
    f"<xml><ToUserName><![CDATA[{VECTOR_CORP_ID}]]></ToUserName>"
    f"<Encrypt><![CDATA[{MESSAGE_ENCRYPT}]]></Encrypt>"
    "<AgentID><![CDATA[1]]></AgentID></xml>"
)


def vector_clock() -> datetime:
    return datetime.fromtimestamp(int(MESSAGE_QUERY["timestamp"]), UTC)


async def inbox_rows(bot: BotHarness) -> list[InboxMessage]:
    return list(await bot.run(lambda uow: uow.session.scalars(select(InboxMessage))))


def callbacks(bot: BotHarness, result: str) -> float | None:
    registry = bot.app[METRICS].registry
    return registry.get_sample_value("jxc_callbacks_total", {"result": result})


async def test_official_url_check_vector_is_answered_with_the_bare_echo(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    async with (
        running_bot(
            sqlite_url,
            fake_wecom,
            wecom_token=VECTOR_TOKEN,
            wecom_corp_id=VECTOR_CORP_ID,
            wecom_aes_key=VECTOR_AES_KEY,
        ) as bot,
        aiohttp.ClientSession() as http,
    ):
        url = bot.url + "wecom/callback"
        async with http.get(url, params=URL_CHECK) as answer:
            assert (answer.status, await answer.read()) == (200, b"5927782489442352469")
        async with http.get(url, params={**URL_CHECK, "nonce": "437374424"}) as answer:
            assert (answer.status, await answer.text()) == (403, "bad_signature")


async def test_official_message_vector_is_decrypted_and_stored_as_a_text_from_messense(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(
        sqlite_url,
        fake_wecom,
        clock=vector_clock,
        wecom_token=VECTOR_TOKEN,
        wecom_corp_id=VECTOR_CORP_ID,
        wecom_aes_key=VECTOR_AES_KEY,
    ) as bot:
        assert await bot.wecom.send_raw(MESSAGE_BODY, MESSAGE_QUERY) == 200
        assert bot.wecom.last_body == ""
        [row] = await inbox_rows(bot)

    assert (row.dedupe_key, row.from_user, row.kind) == (
        "msg:4363689963896700987",
        "messense",
        "text",
    )
    assert row.payload["content"] == "test"


async def test_official_message_vector_replayed_today_is_refused_as_stale(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(
        sqlite_url,
        fake_wecom,
        wecom_token=VECTOR_TOKEN,
        wecom_corp_id=VECTOR_CORP_ID,
        wecom_aes_key=VECTOR_AES_KEY,
    ) as bot:
        assert await bot.wecom.send_raw(MESSAGE_BODY, MESSAGE_QUERY) == 403
        assert bot.wecom.last_body == "stale_timestamp"
        assert await inbox_rows(bot) == []


async def test_a_text_message_gets_its_reply_through_message_send_to_the_sender(
    bot: BotHarness, chat: Chat
) -> None:
    # 单据 remembers its list for 下一页, so it is not the read lane's: it takes the inbox.
    [reply] = await chat.say("clerk1", "单据")

    assert bot.wecom.last_body == ""
    assert "没有符合条件的单据" in reply
    [sent] = bot.fake.messages_to("clerk1")
    assert (sent["touser"], sent["agentid"], sent["msgtype"]) == ("clerk1", AGENT_ID, "text")


async def test_the_same_message_posted_four_times_at_once_is_handled_and_answered_once(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(database_url, fake_wecom) as bot:
        await seed_shop(bot.uow())
        # A message the inbox handles (the read lane's retries: tests/e2e/test_passive_replies).
        message = TextMessage("clerk1", bot.wecom.now(), "4363689963896700987", "单据", AGENT_ID)
        sealed = bot.wecom.seal(message)

        statuses = await asyncio.gather(
            *(bot.wecom.send_raw(sealed.body, sealed.query) for _ in range(4))
        )
        await bot.settled()

        assert statuses == [200, 200, 200, 200]
        assert len(bot.chat.received("clerk1")) == 1
        [row] = await inbox_rows(bot)
        assert (row.status, row.attempts) == ("done", 1)
        assert (callbacks(bot, "accepted"), callbacks(bot, "duplicate")) == (1.0, 3.0)


async def test_a_message_kind_the_bot_cannot_read_is_answered_with_the_help_hint(
    bot: BotHarness, chat: Chat
) -> None:
    image = OtherMessage("clerk1", bot.wecom.now(), "image", msg_id="1234567")
    assert await bot.wecom.send(image) == 200
    await bot.settled()

    [reply] = chat.received("clerk1")
    assert "帮助" in reply
    [row] = await inbox_rows(bot)
    assert (row.kind, row.dedupe_key) == ("other", "msg:1234567")


async def test_a_card_click_is_stored_as_one_click_and_answered(
    bot: BotHarness, chat: Chat
) -> None:
    replies = await chat.click("mgr1", "approval-404", "approve:404")

    assert len(replies) == 1
    [row] = await inbox_rows(bot)
    assert row.kind == "card_click" and row.dedupe_key.startswith("card:approval-404:mgr1:")
