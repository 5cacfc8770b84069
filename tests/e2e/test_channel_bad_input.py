"""Every kind of bad callback gets its 4xx, stores nothing, and the bot keeps serving."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import func, select
from wechatpy.enterprise.crypto import PrpCrypto

from bot.appkeys import METRICS
from bot.fake_wecom import CallbackClient
from bot.wecom_crypto import MAX_BODY_BYTES
from core.storage import InboxMessage, OutboxMessage, UnitOfWork
from tests.support.bot_harness import AES_KEY, AGENT_ID, CORP_ID, TOKEN, BotHarness, Chat

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Encrypt>&lol3;</Encrypt></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""


@dataclass(frozen=True)
class Request:
    body: bytes | str
    query: dict[str, str]


Build = Callable[[CallbackClient], Request]


def text(wecom: CallbackClient, *, timestamp: int | None = None) -> str:
    return (
        "<xml><ToUserName><![CDATA[c]]></ToUserName><FromUserName><![CDATA[clerk1]]></FromUserName>"
        f"<CreateTime>{timestamp or wecom.now()}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[帮助]]></Content><MsgId>{secrets.randbelow(10**18)}</MsgId>"
        f"<AgentID>{AGENT_ID}</AgentID></xml>"
    )


def sealed(wecom: CallbackClient, plaintext: str, timestamp: int | None = None) -> Request:
    envelope = wecom.seal(plaintext, timestamp=timestamp)
    return Request(envelope.body, envelope.query)


def signed_envelope(wecom: CallbackClient, encrypt: str) -> Request:
    """A correctly signed envelope around any ``Encrypt`` text."""
    timestamp, nonce = str(wecom.now()), "12345"
    body = f"<xml><ToUserName>{CORP_ID}</ToUserName><Encrypt>{encrypt}</Encrypt></xml>"
    query = {"msg_signature": wecom.crypto.sign(timestamp, nonce, encrypt)}
    return Request(body, {**query, "timestamp": timestamp, "nonce": nonce})


def wrong_signature(wecom: CallbackClient) -> Request:
    good = sealed(wecom, text(wecom))
    return Request(good.body, {**good.query, "msg_signature": "0" * 40})


def stale(wecom: CallbackClient) -> Request:
    old = wecom.now() - 301
    return sealed(wecom, text(wecom, timestamp=old), timestamp=old)


def from_the_future(wecom: CallbackClient) -> Request:
    # Well past the 300 s limit: the server reads its clock a moment later, on a loaded machine.
    return sealed(wecom, text(wecom), timestamp=wecom.now() + 360)


def other_corp(wecom: CallbackClient) -> Request:
    crypto = type(wecom.crypto)(TOKEN, AES_KEY, "wwsomeoneelse01")
    envelope = crypto.encrypt_message(text(wecom), nonce="1", timestamp=wecom.now())
    return Request(envelope.body, envelope.query)


def not_ciphertext(wecom: CallbackClient) -> Request:
    return signed_envelope(wecom, base64.b64encode(b"twenty bytes of junk").decode())


def non_utf8_plaintext(wecom: CallbackClient) -> Request:
    key = base64.b64decode(AES_KEY + "=")
    encrypt = PrpCrypto(key).encrypt(b"<xml>\xff\xfe</xml>", CORP_ID).decode()
    return signed_envelope(wecom, encrypt)


def non_utf8_body(wecom: CallbackClient) -> Request:
    return Request(b"<xml><Encrypt>\xff\xfe</Encrypt></xml>", sealed(wecom, text(wecom)).query)


def too_large(wecom: CallbackClient) -> Request:
    good = sealed(wecom, text(wecom))
    return Request(b"<xml>" + b" " * MAX_BODY_BYTES + b"</xml>", good.query)


def billion_laughs(wecom: CallbackClient) -> Request:
    return Request(BILLION_LAUGHS, sealed(wecom, text(wecom)).query)


def external_entity(wecom: CallbackClient) -> Request:
    return Request(EXTERNAL_ENTITY, sealed(wecom, text(wecom)).query)


def dtd_inside_the_plaintext(wecom: CallbackClient) -> Request:
    return sealed(wecom, '<!DOCTYPE xml [<!ENTITY a "b">]>' + text(wecom))


def not_a_message(wecom: CallbackClient) -> Request:
    return sealed(wecom, "<xml><MsgType>text</MsgType></xml>")


def unsigned(wecom: CallbackClient) -> Request:
    return Request(sealed(wecom, text(wecom)).body, {})


CASES: list[tuple[Build, int, str]] = [
    (wrong_signature, 403, "bad_signature"),
    (stale, 403, "stale_timestamp"),
    (from_the_future, 403, "stale_timestamp"),
    (other_corp, 403, "wrong_receive_id"),
    (not_ciphertext, 400, "undecryptable"),
    (non_utf8_plaintext, 400, "undecryptable"),
    (non_utf8_body, 400, "not_utf8"),
    (too_large, 413, "body_too_large"),
    (billion_laughs, 400, "forbidden_xml_dtd"),
    (external_entity, 400, "forbidden_xml_dtd"),
    (dtd_inside_the_plaintext, 400, "forbidden_xml_dtd"),
    (not_a_message, 400, "malformed_message"),
    (unsigned, 400, "missing_query_parameter"),
]


async def row_counts(bot: BotHarness) -> tuple[int, int]:
    async def work(uow: UnitOfWork) -> tuple[int, int]:
        count = select(func.count())
        inbox = await uow.session.scalar(count.select_from(InboxMessage))
        outbox = await uow.session.scalar(count.select_from(OutboxMessage))
        return int(inbox or 0), int(outbox or 0)

    return await bot.run(work)


@pytest.mark.parametrize(("build", "status", "reason"), CASES, ids=[c[0].__name__ for c in CASES])
async def test_a_bad_callback_gets_its_4xx_stores_nothing_and_the_bot_keeps_serving(
    bot: BotHarness, chat: Chat, build: Build, status: int, reason: str
) -> None:
    request = build(bot.wecom)

    assert await bot.wecom.send_raw(request.body, request.query) == status
    assert bot.wecom.last_body == reason
    assert await row_counts(bot) == (0, 0)
    registry = bot.app[METRICS].registry
    assert registry.get_sample_value("jxc_callbacks_total", {"result": reason}) == 1.0

    assert len(await chat.say("clerk1", "帮助")) == 1


async def test_a_chunked_body_is_cut_off_at_64_kb(bot: BotHarness) -> None:
    query = sealed(bot.wecom, text(bot.wecom)).query

    async def endless() -> AsyncIterator[bytes]:
        yield b"<xml><Encrypt>"
        for _ in range(100):
            yield b"A" * 4096

    async with (
        aiohttp.ClientSession() as http,
        http.post(bot.url + "wecom/callback", params=query, data=endless()) as answer,
    ):
        assert (answer.status, await answer.text()) == (413, "body_too_large")
    assert await row_counts(bot) == (0, 0)
