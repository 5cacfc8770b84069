"""The WeCom API client against the fake WeCom, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.fake_wecom import FakeWeCom
from bot.wecom_api import WeComApiError, WeComClient

CORP_ID = "wwjxctest0001"
SECRET = "s3cr3t-app-secret"
AGENT_ID = 1000002
USERS = ("ZhangSan", "lisi", "wangwu")


class SteppingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
async def fake(clock: SteppingClock) -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(CORP_ID, SECRET, AGENT_ID, users=USERS, clock=clock) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(
    fake: FakeWeCom,
    session: aiohttp.ClientSession,
    clock: SteppingClock,
    sleeps: list[float],
    secret: str = SECRET,
    **options: Any,
) -> WeComClient:
    async def record_sleep(delay: float) -> None:
        sleeps.append(delay)

    options.setdefault("retry_base_delay", 0.001)
    return WeComClient(
        session, fake.api_base, CORP_ID, secret, AGENT_ID, clock, sleep=record_sleep, **options
    )


@pytest.fixture
def client(
    fake: FakeWeCom, session: aiohttp.ClientSession, clock: SteppingClock, sleeps: list[float]
) -> WeComClient:
    return make_client(fake, session, clock, sleeps)


async def test_token_is_fetched_once_and_reused_across_sends(
    client: WeComClient, fake: FakeWeCom
) -> None:
    await client.send_text("lisi", "库存：可乐 24 瓶")
    await client.send_markdown("lisi", "**低库存**")
    await client.send_text(["lisi", "wangwu"], "日报")
    assert fake.token_fetches() == 1
    assert fake.texts_to("lisi") == ["库存：可乐 24 瓶", "日报"]
    assert fake.markdowns_to("lisi") == ["**低库存**"]
    assert fake.texts_to("wangwu") == ["日报"]


async def test_concurrent_sends_share_one_token_fetch(client: WeComClient, fake: FakeWeCom) -> None:
    await asyncio.gather(*(client.send_text("lisi", f"m{i}") for i in range(5)))
    assert fake.token_fetches() == 1
    assert sorted(fake.texts_to("lisi")) == [f"m{i}" for i in range(5)]


async def test_token_is_refetched_within_five_minutes_of_expiry(
    client: WeComClient, fake: FakeWeCom, clock: SteppingClock
) -> None:
    await client.send_text("lisi", "one")
    clock.advance(seconds=7200 - 301)
    await client.send_text("lisi", "two")
    assert fake.token_fetches() == 1
    clock.advance(seconds=2)
    await client.send_text("lisi", "three")
    assert fake.token_fetches() == 2


async def test_expired_token_is_refreshed_and_message_sent_once(
    client: WeComClient, fake: FakeWeCom
) -> None:
    await client.send_text("lisi", "before")
    fake.expire_tokens()
    await client.send_text("lisi", "after")
    assert fake.texts_to("lisi") == ["before", "after"]
    assert fake.token_fetches() == 2
    rejected = [c for c in fake.calls if (c.response or {}).get("errcode") == 42001]
    assert len(rejected) == 1


@pytest.mark.parametrize("errcode", [40014, 42001, 41001])
async def test_token_errors_mid_run_are_refreshed_transparently(
    client: WeComClient, fake: FakeWeCom, errcode: int
) -> None:
    await client.send_text("lisi", "warm-up")
    fake.fail_next_errcode(1, errcode)
    await client.send_text("lisi", "after")
    assert fake.texts_to("lisi") == ["warm-up", "after"]
    assert fake.token_fetches() == 2


async def test_token_error_that_persists_after_one_refresh_is_raised(
    client: WeComClient, fake: FakeWeCom
) -> None:
    fake.fail_next_errcode(2, 42001, path="message/send")
    with pytest.raises(WeComApiError) as err:
        await client.send_text("lisi", "x")
    assert err.value.errcode == 42001
    assert fake.token_fetches() == 2


async def test_server_errors_three_times_then_success_delivers_once(
    client: WeComClient, fake: FakeWeCom, sleeps: list[float]
) -> None:
    fake.fail_next(3, status=502)
    await client.send_text("lisi", "入库成功")
    assert fake.texts_to("lisi") == ["入库成功"]
    assert len([c for c in fake.calls if c.name == "message/send"]) == 4
    assert len(sleeps) == 3


async def test_server_errors_beyond_max_attempts_raise_a_retryable_error(
    client: WeComClient, fake: FakeWeCom
) -> None:
    fake.fail_next(4, status=503)
    with pytest.raises(WeComApiError) as err:
        await client.send_text("lisi", "x")
    assert err.value.retryable is True
    assert fake.messages_to("lisi") == []


async def test_bad_secret_is_not_retried(
    fake: FakeWeCom, session: aiohttp.ClientSession, clock: SteppingClock, sleeps: list[float]
) -> None:
    client = make_client(fake, session, clock, sleeps, secret="wrong")
    with pytest.raises(WeComApiError) as err:
        await client.send_text("lisi", "x")
    assert (err.value.errcode, err.value.retryable) == (40001, False)
    assert [c.name for c in fake.calls] == ["gettoken"]
    assert sleeps == []


async def test_rate_limit_is_backed_off_and_retried(
    client: WeComClient, fake: FakeWeCom, sleeps: list[float]
) -> None:
    fake.fail_next_errcode(2, 45009)
    await client.send_text("lisi", "x")
    assert fake.texts_to("lisi") == ["x"]
    assert len(sleeps) == 2
    assert sleeps[0] <= sleeps[1]


async def test_backoff_doubles_between_attempts(
    fake: FakeWeCom, session: aiohttp.ClientSession, clock: SteppingClock, sleeps: list[float]
) -> None:
    client = make_client(fake, session, clock, sleeps, retry_base_delay=0.01)
    fake.fail_next(3)
    await client.send_text("lisi", "x")
    lower_bounds = [0.01, 0.02, 0.04]
    for delay, lower in zip(sleeps, lower_bounds, strict=True):
        assert lower <= delay <= lower + 0.01


async def test_slow_answers_fail_as_a_retryable_transport_error(
    fake: FakeWeCom, session: aiohttp.ClientSession, clock: SteppingClock, sleeps: list[float]
) -> None:
    client = make_client(fake, session, clock, sleeps, request_timeout=0.05, max_attempts=2)
    await client.access_token()
    fake.delay(0.2)
    with pytest.raises(WeComApiError) as err:
        await client.send_text("lisi", "x")
    fake.delay(0)
    assert (err.value.errcode, err.value.retryable) == (-1, True)


async def test_untrusted_server_ip_is_logged_with_the_operator_fix(
    client: WeComClient, fake: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next_errcode(1, 60020)
    with caplog.at_level(logging.ERROR, logger="bot.wecom_api"), pytest.raises(WeComApiError):
        await client.send_text("lisi", "x")
    failure = next(r for r in caplog.records if r.getMessage() == "wecom_api_failed")
    assert failure.errcode == 60020  # type: ignore[attr-defined]
    assert "trusted IP" in failure.fix  # type: ignore[attr-defined]
    assert len([c for c in fake.calls if c.name == "message/send"]) == 1


async def test_logs_never_contain_the_secret_or_the_token(
    client: WeComClient, fake: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(1)
    fake.fail_next_errcode(1, 42001)
    with caplog.at_level(logging.DEBUG):
        await client.send_text("lisi", "x")
        await client.webhook_send("robot-key-123", "text", "hi")
    tokens = [str((c.response or {}).get("access_token")) for c in fake.successful("gettoken")]
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for secret in [SECRET, "robot-key-123", *tokens]:
        assert secret not in logged
    assert SECRET not in repr(client)


async def test_template_card_send_returns_a_response_code_and_the_update_is_recorded(
    client: WeComClient, fake: FakeWeCom
) -> None:
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "改价审批", "desc": "可乐 3.00 → 3.50"},
        "task_id": "SP-20261126-0001",
        "button_list": [{"text": "同意", "style": 1, "key": "approve"}],
    }
    answer = await client.send_template_card("ZhangSan", card)
    assert answer["errcode"] == 0
    assert len(answer["response_code"]) > 40
    assert fake.cards_to("zhangsan") == [card]

    await client.update_template_card(
        ["ZhangSan"], answer["response_code"], button_replace_name="已同意"
    )
    assert fake.card_updates() == [
        {
            "userids": ["ZhangSan"],
            "agentid": AGENT_ID,
            "response_code": answer["response_code"],
            "button": {"replace_name": "已同意"},
        }
    ]


async def test_each_card_send_gets_its_own_response_code(client: WeComClient) -> None:
    first = await client.send_template_card("lisi", {"task_id": "T-1"})
    second = await client.send_template_card("lisi", {"task_id": "T-2"})
    assert first["response_code"] != second["response_code"]


async def test_a_response_code_updates_a_card_only_once(client: WeComClient) -> None:
    answer = await client.send_template_card("lisi", {"task_id": "T-1"})
    new_card = {"card_type": "text_notice", "main_title": {"title": "已驳回"}}
    await client.update_template_card(["lisi"], answer["response_code"], card=new_card)
    with pytest.raises(WeComApiError) as err:
        await client.update_template_card(["lisi"], answer["response_code"], card=new_card)
    assert err.value.retryable is False


async def test_update_template_card_needs_exactly_one_change(client: WeComClient) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await client.update_template_card(["lisi"], "code")


async def test_unknown_users_come_back_lowercased_and_all_unknown_fails(
    client: WeComClient, fake: FakeWeCom
) -> None:
    answer = await client.send_text("lisi|NoSuchUser", "x")
    assert answer["invaliduser"] == "nosuchuser"
    with pytest.raises(WeComApiError) as err:
        await client.send_text(["Ghost"], "x")
    assert (err.value.errcode, err.value.retryable) == (81013, False)
    assert fake.texts_to("lisi") == ["x"]


async def test_app_chat_is_created_and_messages_reach_it(
    client: WeComClient, fake: FakeWeCom
) -> None:
    created = await client.appchat_create("一号店", "ZhangSan", ["ZhangSan", "lisi"])
    chatid = created["chatid"]
    await client.appchat_send(chatid, "markdown", "**低库存**：可乐")
    assert fake.appchat_messages(chatid) == [
        {"chatid": chatid, "msgtype": "markdown", "markdown": {"content": "**低库存**：可乐"}}
    ]


async def test_group_robot_messages_go_by_key_without_a_token(
    client: WeComClient, fake: FakeWeCom
) -> None:
    await client.webhook_send("robot-key-1", "text", "日报已生成")
    assert fake.webhook_messages("robot-key-1") == [
        {"msgtype": "text", "text": {"content": "日报已生成"}}
    ]
    assert fake.token_fetches() == 0
    assert "access_token" not in fake.calls[-1].query


async def test_outbox_payload_is_sent_with_addressing_added(
    client: WeComClient, fake: FakeWeCom
) -> None:
    await client.send_message("lisi|wangwu", {"msgtype": "text", "text": {"content": "hi"}})
    assert fake.messages_to("wangwu") == [
        {
            "touser": "lisi|wangwu",
            "agentid": AGENT_ID,
            "msgtype": "text",
            "text": {"content": "hi"},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
    ]
