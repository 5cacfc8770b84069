"""Decrypted WeCom callback XML ↔ small frozen dataclasses.

wechatpy's ``parse_message`` does not know ``template_card_event`` (it returns an
``UnknownMessage``); it does know ``scancode_waitmsg``/``scancode_push`` (``ScanCodeWaitMsgEvent``
with ``scan_type``/``scan_result`` from ``ScanCodeInfo``). One parser for all is simpler, so the
plaintext is read with xmltodict (a wechatpy dependency) through ``parse_xml_root``, whose
parser refuses DTDs. A scan event's XML (WeCom, 接收事件 → 菜单事件)::

    <xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[userid]]></FromUserName>
    <CreateTime>1408090606</CreateTime><MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[scancode_waitmsg]]></Event><EventKey><![CDATA[scan_pick]]></EventKey>
    <ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType>
    <ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult></ScanCodeInfo>
    <AgentID>1</AgentID></xml>

``ScanType`` is ``qrcode`` or ``barcode``; for a barcode ``ScanResult`` is "symbology,content".

Dedupe keys (stored in ``inbox.dedupe_key``, 200 characters at most):
- text: ``msg:<MsgId>``; WeCom retries resend the same MsgId.
- card click: ``card:<TaskId>:<FromUserName>:<EventKey>:<CreateTime>``. A retried delivery of
  the same click repeats all four; a deliberate second click has a new CreateTime and reaches
  the approval state machine, which answers "already decided".
- scan (``scancode_waitmsg`` / ``scancode_push`` from a menu button):
  ``scan:<FromUserName>:<CreateTime>:<EventKey>:<ScanResult>``. WeCom's rule for events is
  FromUserName + CreateTime; the button and the code are added so two different codes scanned
  within one second are both kept (a retry repeats all of them).
- menu click (``Event=click``): ``menu:<FromUserName>:<CreateTime>:<EventKey>``.
- anything else: ``msg:<MsgId>`` when it has one, else
  ``evt:<FromUserName>:<CreateTime>:<MsgType>:<Event>``.
Keys longer than the column (EventKey may be 1024 bytes) are replaced by a sha256 digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from bot.wecom_crypto import CallbackRejected, parse_xml_root

MAX_DEDUPE_KEY_LEN = 200


def _bounded_key(prefix: str, key: str) -> str:
    if len(key) <= MAX_DEDUPE_KEY_LEN:
        return key
    return f"{prefix}:sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


@dataclass(frozen=True)
class TextMessage:
    kind: ClassVar[str] = "text"

    from_user: str
    create_time: int
    msg_id: str
    content: str
    agent_id: int

    @property
    def dedupe_key(self) -> str:
        return _bounded_key("msg", f"msg:{self.msg_id}")

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CardClick:
    kind: ClassVar[str] = "card_click"

    from_user: str
    create_time: int
    event_key: str
    task_id: str
    card_type: str
    response_code: str
    agent_id: int

    @property
    def dedupe_key(self) -> str:
        key = f"card:{self.task_id}:{self.from_user}:{self.event_key}:{self.create_time}"
        return _bounded_key("card", key)

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OtherMessage:
    kind: ClassVar[str] = "other"

    from_user: str
    create_time: int
    msg_type: str
    event: str | None = None
    msg_id: str | None = None

    @property
    def dedupe_key(self) -> str:
        if self.msg_id:
            return _bounded_key("msg", f"msg:{self.msg_id}")
        key = f"evt:{self.from_user}:{self.create_time}:{self.msg_type}:{self.event or ''}"
        return _bounded_key("evt", key)

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


SCAN_EVENTS = frozenset({"scancode_waitmsg", "scancode_push"})


@dataclass(frozen=True)
class ScanEvent:
    kind: ClassVar[str] = "scan"

    from_user: str
    create_time: int
    event: str
    event_key: str
    scan_type: str
    scan_result: str
    agent_id: int

    @property
    def dedupe_key(self) -> str:
        key = f"scan:{self.from_user}:{self.create_time}:{self.event_key}:{self.scan_result}"
        return _bounded_key("scan", key)

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MenuClick:
    kind: ClassVar[str] = "menu_click"

    from_user: str
    create_time: int
    event_key: str
    agent_id: int

    @property
    def dedupe_key(self) -> str:
        return _bounded_key("menu", f"menu:{self.from_user}:{self.create_time}:{self.event_key}")

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


CallbackMessage = TextMessage | CardClick | ScanEvent | MenuClick | OtherMessage
_KINDS: dict[str, type[CallbackMessage]] = {
    cls.kind: cls for cls in (TextMessage, CardClick, ScanEvent, MenuClick, OtherMessage)
}


def message_from_payload(kind: str, payload: dict[str, Any]) -> CallbackMessage:
    """Rebuild a message stored with ``kind`` and ``to_payload()`` (the inbox row)."""
    return _KINDS[kind](**payload)


def parse_message(xml: str) -> CallbackMessage:
    """Parse decrypted callback XML; raise ``CallbackRejected`` (400) when it is not one."""
    fields = parse_xml_root(xml)
    try:
        return _from_fields(fields)
    except (KeyError, TypeError, ValueError):
        raise CallbackRejected("malformed_message", 400) from None


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} is not text")
    return value


def _required(fields: dict[str, Any], name: str) -> str:
    value = _text(fields, name)
    if not value:
        raise KeyError(name)
    return value


def _from_fields(fields: dict[str, Any]) -> CallbackMessage:
    from_user = _required(fields, "FromUserName")
    create_time = int(_required(fields, "CreateTime"))
    msg_type = _required(fields, "MsgType")
    event = _text(fields, "Event") or None
    if msg_type == "text":
        return TextMessage(
            from_user=from_user,
            create_time=create_time,
            msg_id=_required(fields, "MsgId"),
            content=_text(fields, "Content"),
            agent_id=int(_required(fields, "AgentID")),
        )
    if msg_type == "event" and event == "template_card_event":
        return CardClick(
            from_user=from_user,
            create_time=create_time,
            event_key=_required(fields, "EventKey"),
            task_id=_required(fields, "TaskId"),
            card_type=_text(fields, "CardType"),
            response_code=_text(fields, "ResponseCode"),
            agent_id=int(_required(fields, "AgentID")),
        )
    if msg_type == "event" and event in SCAN_EVENTS:
        info = fields.get("ScanCodeInfo")
        if not isinstance(info, dict):
            raise KeyError("ScanCodeInfo")
        return ScanEvent(
            from_user=from_user,
            create_time=create_time,
            event=event,
            event_key=_text(fields, "EventKey"),
            scan_type=_text(info, "ScanType"),
            scan_result=_required(info, "ScanResult"),
            agent_id=int(_required(fields, "AgentID")),
        )
    if msg_type == "event" and event == "click":
        return MenuClick(
            from_user=from_user,
            create_time=create_time,
            event_key=_required(fields, "EventKey"),
            agent_id=int(_required(fields, "AgentID")),
        )
    msg_id = _text(fields, "MsgId") or None
    return OtherMessage(from_user, create_time, msg_type, event=event, msg_id=msg_id)


def cdata(value: str) -> str:
    # "]]>" cannot appear inside one CDATA section; split it across two.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class PassiveText:
    """A text reply in the callback's own HTTP answer (WeCom's 被动回复), decrypted."""

    to_user: str  # the member who wrote
    from_corp: str
    create_time: int
    content: str

    def xml(self) -> str:
        return (
            f"<xml><ToUserName>{cdata(self.to_user)}</ToUserName>"
            f"<FromUserName>{cdata(self.from_corp)}</FromUserName>"
            f"<CreateTime>{self.create_time}</CreateTime>"
            f"<MsgType>{cdata('text')}</MsgType>"
            f"<Content>{cdata(self.content)}</Content></xml>"
        )

    @classmethod
    def from_xml(cls, xml: str) -> PassiveText:
        fields = parse_xml_root(xml)
        if _required(fields, "MsgType") != "text":
            raise CallbackRejected("unknown_passive_reply", 400)
        return cls(
            to_user=_required(fields, "ToUserName"),
            from_corp=_required(fields, "FromUserName"),
            create_time=int(_required(fields, "CreateTime")),
            content=_text(fields, "Content"),
        )


def message_xml(message: CallbackMessage, to_user: str) -> str:
    """The plaintext XML WeCom would send for ``message`` (the fake uses it to play WeCom)."""
    parts = [
        f"<ToUserName>{cdata(to_user)}</ToUserName>",
        f"<FromUserName>{cdata(message.from_user)}</FromUserName>",
        f"<CreateTime>{message.create_time}</CreateTime>",
    ]
    parts.extend(_body_xml(message))
    return "<xml>" + "".join(parts) + "</xml>"


def _body_xml(message: CallbackMessage) -> list[str]:
    if isinstance(message, TextMessage):
        return [
            f"<MsgType>{cdata('text')}</MsgType>",
            f"<Content>{cdata(message.content)}</Content>",
            f"<MsgId>{message.msg_id}</MsgId>",
            f"<AgentID>{message.agent_id}</AgentID>",
        ]
    if isinstance(message, CardClick):
        return [
            f"<MsgType>{cdata('event')}</MsgType>",
            f"<Event>{cdata('template_card_event')}</Event>",
            f"<EventKey>{cdata(message.event_key)}</EventKey>",
            f"<TaskId>{cdata(message.task_id)}</TaskId>",
            f"<CardType>{cdata(message.card_type)}</CardType>",
            f"<ResponseCode>{cdata(message.response_code)}</ResponseCode>",
            f"<AgentID>{message.agent_id}</AgentID>",
        ]
    if isinstance(message, ScanEvent):
        return [
            f"<MsgType>{cdata('event')}</MsgType>",
            f"<Event>{cdata(message.event)}</Event>",
            f"<EventKey>{cdata(message.event_key)}</EventKey>",
            "<ScanCodeInfo>",
            f"<ScanType>{cdata(message.scan_type)}</ScanType>",
            f"<ScanResult>{cdata(message.scan_result)}</ScanResult>",
            "</ScanCodeInfo>",
            f"<AgentID>{message.agent_id}</AgentID>",
        ]
    if isinstance(message, MenuClick):
        return [
            f"<MsgType>{cdata('event')}</MsgType>",
            f"<Event>{cdata('click')}</Event>",
            f"<EventKey>{cdata(message.event_key)}</EventKey>",
            f"<AgentID>{message.agent_id}</AgentID>",
        ]
    parts = [f"<MsgType>{cdata(message.msg_type)}</MsgType>"]
    if message.event is not None:
        parts.append(f"<Event>{cdata(message.event)}</Event>")
    if message.msg_id is not None:
        parts.append(f"<MsgId>{message.msg_id}</MsgId>")
    return parts
