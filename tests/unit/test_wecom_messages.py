from __future__ import annotations

import pytest

from bot.wecom_crypto import CallbackRejected
from bot.wecom_messages import (
    MAX_DEDUPE_KEY_LEN,
    CardClick,
    OtherMessage,
    TextMessage,
    message_from_payload,
    message_xml,
    parse_message,
)

CORP = "wwjxcsandbox0001"

VECTOR_PLAINTEXT = (
    "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n"
    "<FromUserName><![CDATA[messense]]></FromUserName>\n<CreateTime>1411525903</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    "<MsgId>4363689963896700987</MsgId>\n<AgentID>1</AgentID>\n</xml>"
)

CARD_CLICK_XML = (
    "<xml><ToUserName><![CDATA[wwjxcsandbox0001]]></ToUserName>"
    "<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"
    "<EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[SP-20261126-0001]]></TaskId>"
    "<CardType><![CDATA[button_interaction]]></CardType>"
    "<ResponseCode><![CDATA[rc-1]]></ResponseCode><AgentID>1000002</AgentID></xml>"
)


def test_text_vector_parses_into_a_text_message() -> None:
    message = parse_message(VECTOR_PLAINTEXT)
    assert message == TextMessage(
        from_user="messense",
        create_time=1411525903,
        msg_id="4363689963896700987",
        content="test",
        agent_id=1,
    )
    assert message.dedupe_key == "msg:4363689963896700987"


def test_card_click_parses_with_task_and_response_code() -> None:
    click = parse_message(CARD_CLICK_XML)
    assert click == CardClick(
        from_user="zhangsan",
        create_time=1700000000,
        event_key="approve",
        task_id="SP-20261126-0001",
        card_type="button_interaction",
        response_code="rc-1",
        agent_id=1000002,
    )
    assert click.dedupe_key == "card:SP-20261126-0001:zhangsan:approve:1700000000"


def test_enter_agent_event_is_another_message_keyed_by_user_and_time() -> None:
    xml = (
        "<xml><ToUserName><![CDATA[c]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
        "<CreateTime>1700000001</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey>"
        "<AgentID>1</AgentID></xml>"
    )
    message = parse_message(xml)
    assert message == OtherMessage("lisi", 1700000001, "event", event="enter_agent")
    assert message.dedupe_key == "evt:lisi:1700000001:event:enter_agent"


def test_image_message_is_another_message_keyed_by_msg_id() -> None:
    xml = (
        "<xml><FromUserName>lisi</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>image</MsgType><PicUrl>http://x</PicUrl><MsgId>99</MsgId></xml>"
    )
    message = parse_message(xml)
    assert isinstance(message, OtherMessage)
    assert message.dedupe_key == "msg:99"


def test_a_long_event_key_gives_a_bounded_dedupe_key() -> None:
    click = CardClick("u", 1, "k" * 1024, "t", "button_interaction", "rc", 1)
    assert len(click.dedupe_key) <= MAX_DEDUPE_KEY_LEN
    assert click.dedupe_key.startswith("card:sha256:")


@pytest.mark.parametrize(
    "message",
    [
        TextMessage("王五", 1700000000, "123", "入库 可乐 24 ]]> <!DOCTYPE x> &amp;", 1000002),
        TextMessage("u", 1, "124", "", 1),
        CardClick("u", 2, "reject:SP-1", "SP-1", "button_interaction", "rc-2", 1),
        OtherMessage("u", 3, "event", event="enter_agent"),
    ],
)
def test_built_xml_parses_back_to_the_same_message(
    message: TextMessage | CardClick | OtherMessage,
) -> None:
    assert parse_message(message_xml(message, CORP)) == message


def test_payload_round_trips_through_the_inbox_shape() -> None:
    click = parse_message(CARD_CLICK_XML)
    assert message_from_payload(click.kind, click.to_payload()) == click


@pytest.mark.parametrize(
    "xml",
    [
        "<xml><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><FromUserName>u</FromUserName><CreateTime>soon</CreateTime>"
        "<MsgType>text</MsgType></xml>",
        "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>x</Content><AgentID>1</AgentID></xml>",
        "<xml><FromUserName><a>nested</a></FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType></xml>",
    ],
)
def test_messages_missing_required_fields_are_rejected(xml: str) -> None:
    with pytest.raises(CallbackRejected) as err:
        parse_message(xml)
    assert err.value.status == 400
