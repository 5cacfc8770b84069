"""The fake WeCom itself: its API answers, its steering and its callback client (real HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.fake_wecom import API_PREFIX, ApiCall, CallbackClient, FakeWeCom
from bot.wecom_api import WeComApiError, WeComClient
from bot.wecom_crypto import CallbackCrypto, CallbackRejected, is_fresh
from bot.wecom_messages import CallbackMessage, CardClick, TextMessage, parse_message
from core.common import utcnow

CORP_ID = "wwjxctest0001"
SECRET = "app-secret"
AGENT_ID = 1000002
TOKEN = "callbacktoken"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def stub_bot(crypto: CallbackCrypto, received: list[CallbackMessage]) -> web.Application:
    """Just enough of the bot's callback route to check what the fake sends."""

    async def verify(request: web.Request) -> web.Response:
        q = request.query
        try:
            echo = crypto.verify_url(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"])
        except CallbackRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        return web.Response(text=echo)

    async def receive(request: web.Request) -> web.Response:
        q = request.query
        try:
            if not is_fresh(q["timestamp"], datetime.now(UTC)):
                raise CallbackRejected("stale_timestamp", 403)
            body = await request.read()
            xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
            received.append(parse_message(xml))
        except CallbackRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        return web.Response(text="")

    app = web.Application()
    app.router.add_get("/wecom/callback", verify)
    app.router.add_post("/wecom/callback", receive)
    return app


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(CORP_ID, SECRET, AGENT_ID) as server:
        yield server


@pytest.fixture
def received() -> list[CallbackMessage]:
    return []


@pytest.fixture
async def wecom_side(
    fake: FakeWeCom, received: list[CallbackMessage], aiohttp_server: ServerFactory
) -> CallbackClient:
    server = await aiohttp_server(stub_bot(CallbackCrypto(TOKEN, AES_KEY, CORP_ID), received))
    return fake.callback_client(str(server.make_url("/")), TOKEN, AES_KEY, CORP_ID)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(fake: FakeWeCom, session: aiohttp.ClientSession) -> WeComClient:
    return WeComClient(session, fake.api_base, CORP_ID, SECRET, AGENT_ID, retry_base_delay=0.001)


async def test_text_from_the_callback_client_arrives_decrypted_at_the_bot(
    wecom_side: CallbackClient, received: list[CallbackMessage]
) -> None:
    status = await wecom_side.send_text("zhangsan", "入库 可乐 24", msg_id="7000000000000000001")
    assert (status, wecom_side.last_body) == (200, "")
    [message] = received
    assert isinstance(message, TextMessage)
    assert (message.from_user, message.content, message.agent_id) == (
        "zhangsan",
        "入库 可乐 24",
        AGENT_ID,
    )
    assert message.dedupe_key == "msg:7000000000000000001"


async def test_generated_msg_ids_are_unique_numeric_strings(
    wecom_side: CallbackClient, received: list[CallbackMessage]
) -> None:
    await wecom_side.send_text("u", "a")
    await wecom_side.send_text("u", "b")
    ids = [m.msg_id for m in received if isinstance(m, TextMessage)]
    assert len(set(ids)) == 2
    assert all(i.isdigit() for i in ids)


async def test_card_click_carries_a_response_code_the_api_accepts_once(
    wecom_side: CallbackClient, received: list[CallbackMessage], client: WeComClient
) -> None:
    status = await wecom_side.click_card("manager1", "SP-20261126-0001", "approve")
    assert status == 200
    [click] = received
    assert isinstance(click, CardClick)
    assert (click.task_id, click.event_key, click.card_type) == (
        "SP-20261126-0001",
        "approve",
        "button_interaction",
    )
    await client.update_template_card(
        ["manager1"], click.response_code, button_replace_name="已同意"
    )
    with pytest.raises(WeComApiError):
        await client.update_template_card(
            ["manager1"], click.response_code, button_replace_name="x"
        )


async def test_url_verification_round_trips(wecom_side: CallbackClient) -> None:
    assert await wecom_side.verify_url("echo-42") == (200, "echo-42")


async def test_a_mis_signed_callback_is_refused(
    wecom_side: CallbackClient, received: list[CallbackMessage]
) -> None:
    sealed = wecom_side.seal(TextMessage("u", 1, "1", "x", AGENT_ID))
    forged = replace(sealed, msg_signature="f" * 40)
    assert await wecom_side.send_raw(forged.body, forged.query) == 403
    assert received == []


async def test_a_corrupted_body_is_refused(wecom_side: CallbackClient) -> None:
    sealed = wecom_side.seal(TextMessage("u", 1, "1", "x", AGENT_ID))
    assert await wecom_side.send_raw(b"\xff\xfe<xml>", sealed.query) == 400


async def test_a_replayed_old_callback_is_refused(
    wecom_side: CallbackClient, received: list[CallbackMessage]
) -> None:
    old = wecom_side.now() - 3600
    assert await wecom_side.send(TextMessage("u", old, "1", "x", AGENT_ID), timestamp=old) == 403
    assert received == []


async def test_wait_for_returns_a_call_that_arrives_later(
    fake: FakeWeCom, client: WeComClient
) -> None:
    async def send_soon() -> None:
        await asyncio.sleep(0.01)
        await client.send_text("lisi", "稍后")

    task = asyncio.create_task(send_soon())
    call = await fake.wait_for(lambda c: c.name == "message/send", timeout=2)
    await task
    assert call.json is not None
    assert call.json["text"] == {"content": "稍后"}


async def test_wait_for_times_out_when_nothing_matches(fake: FakeWeCom) -> None:
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda c: c.name == "message/send", timeout=0.05)


async def test_calls_without_a_valid_token_get_wecom_token_errors(
    fake: FakeWeCom, session: aiohttp.ClientSession
) -> None:
    async def errcode(query: str) -> int:
        url = fake.api_base + "message/send" + query
        async with session.post(url, json={"touser": "u"}) as resp:
            return int((await resp.json())["errcode"])

    assert await errcode("") == 41001
    assert await errcode("?access_token=made-up") == 40014


async def test_a_reused_task_id_is_refused(client: WeComClient) -> None:
    await client.send_template_card("lisi", {"task_id": "T-1"})
    with pytest.raises(WeComApiError) as err:
        await client.send_template_card("lisi", {"task_id": "T-1", "main_title": {"title": "B"}})
    assert err.value.errcode == 42014


async def test_a_card_sent_again_word_for_word_is_a_dropped_repeat_with_the_first_answer(
    fake: FakeWeCom, client: WeComClient
) -> None:
    first = await client.send_template_card("lisi", {"task_id": "T-1"})
    again = await client.send_template_card("lisi", {"task_id": "T-1"})

    assert again["response_code"] == first["response_code"]
    assert len(fake.cards_to("lisi")) == 1


async def test_injected_faults_hit_only_the_named_path(
    fake: FakeWeCom, client: WeComClient
) -> None:
    fake.fail_next_errcode(1, 45009, path="appchat/send")
    await client.send_text("lisi", "unaffected")
    await client.appchat_send("chat1", "text", "retried")
    statuses = [(c.name, (c.response or {}).get("errcode")) for c in fake.calls]
    assert statuses == [
        ("gettoken", 0),
        ("message/send", 0),
        ("appchat/send", 45009),
        ("appchat/send", 0),
    ]


async def test_with_the_duplicate_check_an_identical_send_within_its_interval_is_dropped(
    fake: FakeWeCom, client: WeComClient
) -> None:
    first = await client.send_text("clerk1", "现有 5")
    again = await client.send_text("clerk1", "现有 5")
    await client.send_text("clerk1", "现有 5\u200b")
    await client.send_text("clerk2", "现有 5")

    assert fake.texts_to("clerk1") == ["现有 5", "现有 5\u200b"]
    assert fake.texts_to("clerk2") == ["现有 5"]
    assert again == first
    [dropped] = fake.dropped_repeats()
    assert dropped.json == fake.calls[-3].json


async def test_the_duplicate_check_forgets_a_send_once_its_interval_has_passed(
    fake: FakeWeCom, client: WeComClient
) -> None:
    now = datetime.now(UTC)
    fake.clock = lambda: now
    await client.send_text("clerk1", "现有 5")
    fake.clock = lambda: now + timedelta(seconds=1801)
    await client.send_text("clerk1", "现有 5")

    assert fake.texts_to("clerk1") == ["现有 5", "现有 5"]


async def test_without_the_duplicate_check_every_identical_send_is_delivered(
    fake: FakeWeCom, client: WeComClient, session: aiohttp.ClientSession
) -> None:
    query = {"access_token": await client.access_token()}
    body = {"touser": "clerk1", "agentid": AGENT_ID, "msgtype": "text", "text": {"content": "x"}}
    for _ in range(2):
        async with session.post(fake.api_base + "message/send", params=query, json=body) as answer:
            assert (await answer.json())["errcode"] == 0

    assert fake.texts_to("clerk1") == ["x", "x"]


async def test_a_wait_cancelled_as_its_call_arrives_ends_cancelled(fake: FakeWeCom) -> None:
    """The sandbox's chat-log follower waits like this and is cancelled at shutdown: a cancel
    that lands while the awaited call is being handed over must not be lost (Python 3.11's
    ``asyncio.wait_for`` returned the call instead, and the follower waited forever)."""
    for steps in range(8):
        body = {"n": steps}
        waiting = asyncio.create_task(fake.wait_for(lambda c, body=body: c.json == body, timeout=5))
        await asyncio.sleep(0)
        await fake._record(ApiCall(API_PREFIX + "message/send", {}, body, utcnow()))
        for _ in range(steps):
            await asyncio.sleep(0)
        if waiting.cancel():
            with pytest.raises(asyncio.CancelledError):
                await waiting
