"""The WeCom sender: each outbox channel becomes its API call on the fake WeCom (real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.fake_wecom import FakeWeCom
from bot.wecom_api import WeComClient
from bot.wecom_sender import WeComSender
from core.messaging import markdown_payload, text_payload
from handlers.cards import Card, CardButton
from notifications.outbox_worker import DeliveryFailed
from tests.support.bot_harness import AGENT_ID, CORP_ID, SECRET, new_fake

CARD = Card(
    task_id="approval-7",
    title="调价申请",
    rows=(("商品", "可乐"), ("新价", "3.8")),
    buttons=(CardButton("同意", "approve:7", 1), CardButton("驳回", "reject:7", 2)),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    async with new_fake(users=["clerk1", "mgr1"]) as server:
        yield server


@pytest.fixture
async def sender(fake: FakeWeCom) -> AsyncIterator[WeComSender]:
    async with aiohttp.ClientSession() as session:
        client = WeComClient(
            session, fake.api_base, CORP_ID, SECRET, AGENT_ID, max_attempts=2, retry_base_delay=0
        )
        yield WeComSender(client)


async def test_user_rows_go_to_message_send_with_cards_in_wecom_form(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    await sender.send("user", "clerk1", text_payload("你好"))
    answer = await sender.send("user", "mgr1|clerk1", CARD.to_payload())

    assert fake.texts_to("clerk1") == ["你好"]
    [card] = fake.cards_to("mgr1")
    assert card["task_id"] == "approval-7" and card["card_type"] == "button_interaction"
    assert [b["key"] for b in card["button_list"]] == ["approve:7", "reject:7"]
    assert answer["response_code"]


async def test_group_rows_go_to_appchat_and_to_the_robot_webhook(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    await sender.send("appchat", "store-group", markdown_payload("**低库存**"))
    await sender.send("webhook", "robot-key", text_payload("日报"))

    [chat] = fake.appchat_messages("store-group")
    assert chat["markdown"] == {"content": "**低库存**"}
    [robot] = fake.webhook_messages("robot-key")
    assert robot["text"] == {"content": "日报"}


async def test_card_updates_relabel_the_button_or_replace_the_card(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    first = await sender.send("user", "mgr1", CARD.to_payload())
    second_card = Card(task_id="approval-8", title="报损", buttons=(CardButton("同意", "ok:8"),))
    second = await sender.send("user", "mgr1", second_card.to_payload())

    await sender.send(
        "card_update",
        "approval-7",
        {"userids": ["mgr1"], "response_code": first["response_code"], "replace_name": "已同意"},
    )
    decided = Card(
        task_id="approval-8", title="报损（已驳回）", buttons=(CardButton("已驳回", "x"),)
    )
    await sender.send(
        "card_update",
        "approval-8",
        {
            "userids": ["mgr1"],
            "response_code": second["response_code"],
            "card": decided.to_payload()["card"],
        },
    )

    relabel, replace = fake.card_updates()
    assert relabel["button"] == {"replace_name": "已同意"}
    assert replace["template_card"]["main_title"]["title"] == "报损（已驳回）"


async def test_an_invalid_recipient_fails_for_good(sender: WeComSender) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send("user", "stranger", text_payload("你好"))
    assert failed.value.retryable is False
    assert "81013" in failed.value.reason


async def test_a_server_error_that_outlasts_the_clients_retries_is_worth_retrying(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    fake.fail_next(2, status=502, path="message/send")
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send("user", "clerk1", text_payload("你好"))
    assert failed.value.retryable is True


async def test_a_payload_wecom_would_refuse_fails_for_good(sender: WeComSender) -> None:
    bad_card = Card(task_id="has spaces", title="x", buttons=(CardButton("a", "a"),))
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send("user", "clerk1", bad_card.to_payload())
    assert failed.value.retryable is False


async def test_every_send_asks_for_wecoms_duplicate_check_over_the_same_interval(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    await sender.send("user", "clerk1", text_payload("你好"))

    [call] = fake.successful("message/send")
    assert call.json is not None
    assert (call.json["enable_duplicate_check"], call.json["duplicate_check_interval"]) == (1, 1800)


async def test_a_row_sent_again_after_its_answer_was_lost_reaches_the_user_once(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    fake.fail_after_delivery(2, status=502, path="message/send")
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send("user", "clerk1", text_payload("你好"))
    assert failed.value.retryable

    await sender.send("user", "clerk1", text_payload("你好"))

    assert fake.texts_to("clerk1") == ["你好"]
    assert len(fake.dropped_repeats()) == 2  # the client's own retry, then the outbox's


async def test_more_than_1000_recipients_are_sent_in_parts_of_1000(
    fake: FakeWeCom, sender: WeComSender
) -> None:
    fake.users = None  # any userid exists
    userids = [f"user{n:04d}" for n in range(2345)]

    answer = await sender.send("user", "|".join(userids), text_payload("盘点通知"))

    sends = fake.successful("message/send")
    assert [len(str((c.json or {})["touser"]).split("|")) for c in sends] == [1000, 1000, 345]
    assert all(fake.texts_to(userid) == ["盘点通知"] for userid in userids)
    assert len(answer["parts"]) == 3
