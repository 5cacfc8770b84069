"""Scan and menu events as WeCom sends them (接收事件 → 菜单事件), parsed and deduplicated."""

from __future__ import annotations

import pytest
from wechatpy.enterprise import parse_message as wechatpy_parse

from bot.wecom_crypto import CallbackRejected
from bot.wecom_messages import (
    MenuClick,
    ScanEvent,
    message_from_payload,
    message_xml,
    parse_message,
)

# The reference's example with our keys: a barcode gives "symbology,content".
SCAN_WAITMSG_XML = (
    "<xml><ToUserName><![CDATA[wwjxcsandbox0001]]></ToUserName>\n"
    "<FromUserName><![CDATA[clerk1]]></FromUserName>\n<CreateTime>1408090606</CreateTime>\n"
    "<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[scancode_waitmsg]]></Event>\n"
    "<EventKey><![CDATA[scan_pick]]></EventKey>\n"
    "<ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType>\n"
    "<ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult>\n</ScanCodeInfo>\n"
    "<AgentID>1</AgentID>\n</xml>"
)
SCAN_PUSH_QR_XML = (
    SCAN_WAITMSG_XML.replace("scancode_waitmsg", "scancode_push")
    .replace("<ScanType><![CDATA[barcode]]></ScanType>", "<ScanType><![CDATA[qrcode]]></ScanType>")
    .replace("EAN_13,6901234567892", "(01)06901234567892(10)L1")
)
MENU_CLICK_XML = (
    "<xml><ToUserName><![CDATA[wwjxcsandbox0001]]></ToUserName>"
    "<FromUserName><![CDATA[clerk1]]></FromUserName><CreateTime>1408090700</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event>"
    "<EventKey><![CDATA[help]]></EventKey><AgentID>1</AgentID></xml>"
)


def test_scancode_waitmsg_parses_with_type_result_and_key() -> None:
    scan = parse_message(SCAN_WAITMSG_XML)
    assert scan == ScanEvent(
        from_user="clerk1",
        create_time=1408090606,
        event="scancode_waitmsg",
        event_key="scan_pick",
        scan_type="barcode",
        scan_result="EAN_13,6901234567892",
        agent_id=1,
    )
    assert scan.dedupe_key == "scan:clerk1:1408090606:scan_pick:EAN_13,6901234567892"


def test_wechatpy_reads_the_same_fields_from_the_same_xml() -> None:
    typed = wechatpy_parse(SCAN_WAITMSG_XML)
    assert type(typed).__name__ == "ScanCodeWaitMsgEvent"
    assert (typed.scan_type, typed.scan_result, typed.key) == (
        "barcode",
        "EAN_13,6901234567892",
        "scan_pick",
    )


def test_scancode_push_with_a_qr_code_is_a_scan_too() -> None:
    scan = parse_message(SCAN_PUSH_QR_XML)
    assert isinstance(scan, ScanEvent)
    assert (scan.event, scan.scan_type, scan.scan_result) == (
        "scancode_push",
        "qrcode",
        "(01)06901234567892(10)L1",
    )


def test_a_retried_scan_has_the_same_key_and_another_code_a_different_one() -> None:
    first = parse_message(SCAN_WAITMSG_XML)
    again = parse_message(SCAN_WAITMSG_XML)
    other = parse_message(SCAN_WAITMSG_XML.replace("6901234567892", "6901234567885"))
    assert first.dedupe_key == again.dedupe_key != other.dedupe_key


def test_scan_without_scan_code_info_is_refused() -> None:
    start = SCAN_WAITMSG_XML.index("<ScanCodeInfo>")
    end = SCAN_WAITMSG_XML.index("</ScanCodeInfo>") + len("</ScanCodeInfo>")
    with pytest.raises(CallbackRejected):
        parse_message(SCAN_WAITMSG_XML[:start] + SCAN_WAITMSG_XML[end:])


def test_menu_click_parses_with_its_key() -> None:
    click = parse_message(MENU_CLICK_XML)
    assert click == MenuClick(
        from_user="clerk1", create_time=1408090700, event_key="help", agent_id=1
    )
    assert click.dedupe_key == "menu:clerk1:1408090700:help"


def test_scan_xml_round_trips_through_the_fakes_writer_and_the_inbox_payload() -> None:
    scan = parse_message(SCAN_WAITMSG_XML)
    assert parse_message(message_xml(scan, "wwjxcsandbox0001")) == scan
    assert message_from_payload(scan.kind, scan.to_payload()) == scan
