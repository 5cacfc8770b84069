"""A fake WeCom for tests and the sandbox: a real aiohttp server plus a callback client.

``FakeWeCom`` serves the server-API paths JXC Bot uses under ``/cgi-bin/``, checks tokens the way
WeCom does, answers WeCom-shaped JSON and records every call. It can be told to fail. Its
``callback_client`` plays WeCom's side of the callback: it encrypts and signs messages and
card clicks exactly as WeCom does and POSTs them to the bot.

Choices the WeCom docs we have do not settle (so the fake decides):
- a reused or unknown ``response_code`` on ``update_template_card`` fails with 40058
  (WeCom's generic "invalid parameter");
- ``appchat/send`` accepts any chat id, created here or not, and only the message types
  WeCom's 应用推送消息 reference lists (text, image, voice, video, file, textcard, news,
  mpnews, markdown); a group robot takes a ``template_card`` only of the two kinds its
  reference lists (``text_notice``, ``news_notice``): anything else is 40008, so a button
  card sent to a group fails loudly here as it would there;
- faults injected with ``fail_next*`` hit the next matching call; ``path=None`` means any
  path except ``gettoken``; ``fail_after_delivery`` does the call's work (a message reaches
  its users) and then answers an HTTP error, late if asked: an answer lost on the way back;
- ``media/upload`` and ``webhook/upload_media`` keep what they receive (``media(id)``) and
  check WeCom's limits: a multipart ``media`` field (else 41005), ``type`` image or file
  (else 40005), more than 5 bytes and at most 10 MB for an image (a PNG or JPEG, else 40004;
  too big 40009) or 20 MB for a file (40006); an image or file message naming a media id
  that was never uploaded fails with 40007, as does a robot image whose md5 is wrong.
- ``message/send`` with ``enable_duplicate_check`` drops a request whose JSON equals one that
  took effect within its ``duplicate_check_interval`` (default 1800 s, at most 4 hours), as
  WeCom's reference describes the check (see ``bot.wecom_api``); the reference does not say
  what WeCom answers to a dropped repeat, so the fake answers what the original call got;
- ``menu/create`` checks what the reference states (1–3 buttons, 1–5 sub-buttons, names of at
  most 16 / 40 bytes, keys of at most 128 bytes, a known ``type``) and answers 40054 ("invalid
  sub-button") or 40016 ("invalid button count") otherwise; the last accepted menu per agent
  is kept in ``menus``;
- a passive reply (an encrypted XML body in answer to a callback) is opened by the callback
  client, its signature checked, and recorded as a call named ``passive_reply`` whose JSON
  has the shape of a ``message/send`` to the member (``messages_to`` includes it), as the
  member sees one like the other.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.wecom_crypto import CallbackCrypto, EncryptedCallback
from bot.wecom_messages import (
    CallbackMessage,
    CardClick,
    MenuClick,
    PassiveText,
    ScanEvent,
    TextMessage,
    message_xml,
)
from core.common import Clock, utcnow

API_PREFIX = "/cgi-bin/"
# Not a path WeCom serves: how a callback's passive reply is recorded among the calls.
PASSIVE_REPLY = "passive_reply"
REPLY_CALLS = ("message/send", PASSIVE_REPLY)
TOKEN_ERRMSG = {
    41001: "access_token missing",
    40014: "invalid access_token",
    42001: "access_token expired",
}
RESPONSE_CODE_REJECTED = 40058
TASK_ID_REUSED = 42014
ALL_RECIPIENTS_INVALID = 81013
INVALID_BUTTON_COUNT = 40016
INVALID_BUTTON = 40054
MENU_TYPES = frozenset(
    {
        "click",
        "view",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "view_miniprogram",
    }
)
MEDIA_LIMITS = {"image": 10 * 1024 * 1024, "file": 20 * 1024 * 1024}
ROBOT_IMAGE_LIMIT = 2 * 1024 * 1024
APPCHAT_TYPES = frozenset(
    {"text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"}
)
ROBOT_CARD_TYPES = frozenset({"text_notice", "news_notice"})
INVALID_MESSAGE_TYPE = 40008
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
UPLOADS = ("media/upload", "webhook/upload_media")
DUPLICATE_CHECK_DEFAULT = 1800
DUPLICATE_CHECK_MAX = 4 * 3600


@dataclass(frozen=True)
class Media:
    media_id: str
    kind: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ApiCall:
    path: str
    query: dict[str, str]
    json: dict[str, Any] | None
    time: datetime
    status: int = 200
    response: dict[str, Any] | None = None
    # A message/send repeat that WeCom's duplicate check dropped: it reached nobody.
    dropped: bool = False

    @property
    def name(self) -> str:
        """The path below ``/cgi-bin/``, e.g. ``message/send``."""
        return self.path.removeprefix(API_PREFIX)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.took_effect

    @property
    def took_effect(self) -> bool:
        """The call did its work, whether or not its answer got back."""
        return (self.response or {}).get("errcode") == 0 and not self.dropped


@dataclass
class _Fault:
    path: str | None
    status: int = 200
    errcode: int = 0
    after_delivery: bool = False
    delay: float = 0.0

    def matches(self, name: str) -> bool:
        return name != "gettoken" if self.path is None else name == self.path


@dataclass
class _State:
    tokens: dict[str, datetime] = field(default_factory=dict)
    task_ids: set[str] = field(default_factory=set)
    response_codes: dict[str, str] = field(default_factory=dict)  # code -> task_id
    used_codes: set[str] = field(default_factory=set)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    # message/send request JSON -> when it took effect and what it answered
    sent: dict[str, tuple[datetime, dict[str, Any]]] = field(default_factory=dict)


def _ok(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}


def _err(errcode: int, errmsg: str, **fields: Any) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg, **fields}


def new_response_code() -> str:
    return secrets.token_urlsafe(64)


def _normalise_path(path: str | None) -> str | None:
    return None if path is None else path.removeprefix(API_PREFIX).lstrip("/")


class FakeWeCom:
    def __init__(
        self,
        corp_id: str = "wwjxcsandbox0001",
        corp_secret: str = "sandbox-secret",
        agent_id: int = 1000002,
        *,
        users: Iterable[str] | None = None,
        token_ttl: timedelta = timedelta(seconds=7200),
        clock: Clock = utcnow,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = corp_secret
        self.users = None if users is None else {u.lower() for u in users}
        self._token_ttl = token_ttl
        self.clock = clock
        self.calls: list[ApiCall] = []
        self._faults: list[_Fault] = []
        self._delay = 0.0
        self._gate: tuple[str, asyncio.Event] | None = None
        self._state = _State()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._clients: list[CallbackClient] = []
        self.api_base = ""
        # agentid → the menu last accepted by ``menu/create``.
        self.menus: dict[int, dict[str, Any]] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        # Room for a file just over WeCom's 20 MB, so the limit is WeCom's answer, not aiohttp's.
        app = web.Application(client_max_size=MEDIA_LIMITS["file"] + 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "{tail:.*}", self._handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); returns ``api_base``."""
        # No access log: request lines carry the corp secret and tokens.
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.api_base = f"http://{host}:{bound_port}{API_PREFIX}"
        return self.api_base

    async def stop(self) -> None:
        for client in self._clients:
            await client.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeWeCom:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- steering -------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, path: str | None = None) -> None:
        self._faults.extend(_Fault(_normalise_path(path), status=status) for _ in range(n))

    def fail_next_errcode(self, n: int, errcode: int, path: str | None = None) -> None:
        self._faults.extend(_Fault(_normalise_path(path), errcode=errcode) for _ in range(n))

    def fail_after_delivery(
        self, n: int, status: int = 502, path: str | None = None, delay: float = 0.0
    ) -> None:
        """The next ``n`` matching calls take effect, then answer ``status`` after ``delay``."""
        fault = _Fault(_normalise_path(path), status=status, after_delivery=True, delay=delay)
        self._faults.extend(replace(fault) for _ in range(n))

    def expire_tokens(self) -> None:
        past = self.clock() - timedelta(seconds=1)
        self._state.tokens = dict.fromkeys(self._state.tokens, past)

    def delay(self, seconds: float) -> None:
        """Answer every later call ``seconds`` after doing its work (0 to stop)."""
        self._delay = seconds

    def hold_answers(self, path: str) -> asyncio.Event:
        """Later calls to ``path`` do their work, then answer once the returned event is set."""
        gate = asyncio.Event()
        self._gate = (_normalise_path(path) or "", gate)
        return gate

    # -- reading the log ------------------------------------------------------------------

    def successful(self, name: str) -> list[ApiCall]:
        return [c for c in self.calls if c.name == name and c.ok]

    def token_fetches(self) -> int:
        return len(self.successful("gettoken"))

    def messages_to(self, userid: str) -> list[dict[str, Any]]:
        """Bodies of ``message/send`` calls that reached ``userid`` (answered or not), and of
        the passive replies ``userid`` got, in the order they came."""
        sends = [c for c in self.calls if c.name in REPLY_CALLS and c.took_effect]
        return [c.json or {} for c in sends if _reached(c, userid)]

    def passive_replies(self) -> list[ApiCall]:
        return [c for c in self.calls if c.name == PASSIVE_REPLY]

    async def record_passive_reply(self, crypto: CallbackCrypto, body: bytes) -> PassiveText:
        """Open a callback's passive reply as WeCom does and record it."""
        reply = PassiveText.from_xml(crypto.open_reply(body))
        wire = {"touser": reply.to_user, "msgtype": "text", "text": {"content": reply.content}}
        call = ApiCall(API_PREFIX + PASSIVE_REPLY, {}, wire, self.clock(), response=_ok())
        await self._record(call)
        return reply

    def dropped_repeats(self) -> list[ApiCall]:
        return [c for c in self.calls if c.dropped]

    def texts_to(self, userid: str) -> list[str]:
        return [m["text"]["content"] for m in self.messages_to(userid) if m["msgtype"] == "text"]

    def markdowns_to(self, userid: str) -> list[str]:
        msgs = self.messages_to(userid)
        return [m["markdown"]["content"] for m in msgs if m["msgtype"] == "markdown"]

    def cards_to(self, userid: str) -> list[dict[str, Any]]:
        msgs = self.messages_to(userid)
        return [m["template_card"] for m in msgs if m["msgtype"] == "template_card"]

    def appchat_messages(self, chatid: str) -> list[dict[str, Any]]:
        calls = self.successful("appchat/send")
        return [c.json or {} for c in calls if (c.json or {}).get("chatid") == chatid]

    def webhook_messages(self, key: str) -> list[dict[str, Any]]:
        calls = self.successful("webhook/send")
        return [c.json or {} for c in calls if c.query.get("key") == key]

    def media(self, media_id: str) -> Media | None:
        """What was uploaded under ``media_id``, or None."""
        return self._state.media.get(media_id)

    def card_updates(self) -> list[dict[str, Any]]:
        return [c.json or {} for c in self.successful("message/update_template_card")]

    async def wait_for(
        self,
        predicate: Callable[[ApiCall], bool],
        timeout: float = 2.0,  # noqa: ASYNC109 - tests read better with the deadline in the call
    ) -> ApiCall:
        """The first recorded call matching ``predicate``, waiting up to ``timeout`` for it."""

        def first() -> ApiCall | None:
            return next((c for c in self.calls if predicate(c)), None)

        # asyncio.timeout, not asyncio.wait_for: on Python 3.11 a cancel that lands while
        # wait_for is winding down its inner task can be lost, and the sandbox's chat-log
        # follower, cancelled at shutdown, then waited for the next call forever.
        async with self._changed, asyncio.timeout(timeout):
            await self._changed.wait_for(lambda: first() is not None)
        found = first()
        assert found is not None
        return found

    # -- WeCom's side of callbacks ---------------------------------------------------------

    def callback_client(
        self,
        bot_base_url: str,
        token: str,
        aes_key: str,
        corp_id: str | None = None,
        *,
        path: str = "/wecom/callback",
    ) -> CallbackClient:
        crypto = CallbackCrypto(token, aes_key, corp_id or self.corp_id)
        client = CallbackClient(self, bot_base_url.rstrip("/") + path, crypto)
        self._clients.append(client)
        return client

    def issue_response_code(self, task_id: str) -> str:
        code = new_response_code()
        self._state.response_codes[code] = task_id
        return code

    # -- serving --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["tail"]
        query = dict(request.query)
        upload: _Upload | None = None
        body: dict[str, Any] | None
        if name in UPLOADS:
            body, upload = await _read_upload(request)
        else:
            body = await _read_json(request)
        fault = self._take_fault(name)
        if fault is not None and not fault.after_delivery:
            status, answer = self._fault_answer(fault)
            await self._record(ApiCall(request.path, query, body, self.clock(), status, answer))
            return self._response(status, answer)
        status, answer, dropped = self._answer(name, query, body, upload)
        if fault is not None:
            status = fault.status
        call = ApiCall(request.path, query, body, self.clock(), status, answer, dropped)
        await self._record(call)
        if self._gate is not None and self._gate[0] == name:
            await self._gate[1].wait()
        if self._delay:
            await asyncio.sleep(self._delay)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            return self._response(status, answer if status == 200 else None)
        return self._response(status, answer)

    def _take_fault(self, name: str) -> _Fault | None:
        fault = next((f for f in self._faults if f.matches(name)), None)
        if fault is not None:
            self._faults.remove(fault)
        return fault

    @staticmethod
    def _fault_answer(fault: _Fault) -> tuple[int, dict[str, Any] | None]:
        if fault.status != 200:
            return fault.status, None
        return 200, _err(fault.errcode, f"fake injected error {fault.errcode}")

    @staticmethod
    def _response(status: int, answer: dict[str, Any] | None) -> web.Response:
        if answer is None or status != 200:
            return web.Response(status=status, text="fake WeCom failure")
        return web.json_response(answer)

    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _answer(
        self,
        name: str,
        query: dict[str, str],
        body: dict[str, Any] | None,
        upload: _Upload | None = None,
    ) -> tuple[int, dict[str, Any] | None, bool]:
        """HTTP status, answer, and whether it was a repeat the duplicate check dropped."""
        if name == "gettoken":
            return 200, self._gettoken(query), False
        if name.startswith("webhook/"):
            if not query.get("key"):
                return 200, _err(93000, "invalid webhook url"), False
            if name == "webhook/upload_media":
                return 200, self._upload(query, upload), False
            return 200, self._robot_send(body or {}), False
        token_error = self._check_token(query.get("access_token"))
        if token_error is not None:
            return 200, token_error, False
        if name == "menu/create":
            if body is None:
                return 200, _err(47001, "data format error"), False
            return 200, self._menu_create(query, body), False
        if name == "media/upload":
            return 200, self._upload(query, upload), False
        handler = self._routes().get(name)
        if handler is None:
            return 404, None, False
        if body is None:
            return 200, _err(47001, "data format error"), False
        if name == "message/send":
            return self._checked_send(body)
        return 200, handler(body), False

    def _checked_send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], bool]:
        checked = body.get("enable_duplicate_check") == 1
        key = json.dumps(body, ensure_ascii=False, sort_keys=True)
        now = self.clock()
        if checked and key in self._state.sent:
            at, original = self._state.sent[key]
            interval = int(body.get("duplicate_check_interval") or DUPLICATE_CHECK_DEFAULT)
            if now - at < timedelta(seconds=min(interval, DUPLICATE_CHECK_MAX)):
                return 200, original, True
        answer = self._message_send(body)
        if checked and answer["errcode"] == 0:
            self._state.sent[key] = (now, answer)
        return 200, answer, False

    def _routes(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "message/send": self._message_send,
            "message/update_template_card": self._update_card,
            "appchat/create": self._appchat_create,
            "appchat/send": self._appchat_send,
        }

    def _menu_create(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if query.get("agentid") != str(self.agent_id):
            return _err(40056, "invalid agentid")
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return _err(INVALID_BUTTON_COUNT, "invalid button count")
        for button in buttons:
            subs = button.get("sub_button") if isinstance(button, dict) else None
            if not isinstance(button, dict) or not _menu_name_ok(button, 16):
                return _err(INVALID_BUTTON, "invalid button")
            if subs is None:
                if not _menu_action_ok(button):
                    return _err(INVALID_BUTTON, "invalid button")
                continue
            if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
                return _err(INVALID_BUTTON_COUNT, "invalid sub button count")
            if not all(
                isinstance(b, dict) and _menu_name_ok(b, 40) and _menu_action_ok(b) for b in subs
            ):
                return _err(INVALID_BUTTON, "invalid sub button")
        self.menus[self.agent_id] = body
        return _ok()

    def _upload(self, query: Mapping[str, str], upload: _Upload | None) -> dict[str, Any]:
        kind = query.get("type", "")
        if kind not in MEDIA_LIMITS:
            return _err(40005, "invalid media type")
        if upload is None:
            return _err(41005, "media data missing")
        size = len(upload.content)
        if kind == "image" and not upload.content.startswith(IMAGE_MAGIC):
            return _err(40004, "invalid media file type")
        if not 5 < size <= MEDIA_LIMITS[kind]:
            return _err(40009 if kind == "image" else 40006, "invalid file size")
        media_id = secrets.token_urlsafe(32)
        self._state.media[media_id] = Media(
            media_id, kind, upload.filename, upload.content_type, upload.content
        )
        created = str(int(self.clock().timestamp()))
        return _ok(type=kind, media_id=media_id, created_at=created)

    def _media_known(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """40007 for an image or file message naming media never uploaded, else None."""
        kind = body.get("msgtype")
        if kind not in MEDIA_LIMITS:
            return None
        media_id = str((body.get(kind) or {}).get("media_id", ""))
        return None if media_id in self._state.media else _err(40007, "invalid media_id")

    def _appchat_send(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("msgtype") not in APPCHAT_TYPES:
            return _err(INVALID_MESSAGE_TYPE, "invalid message type")
        return self._media_known(body) or _ok()

    def _robot_send(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("msgtype") == "template_card":
            kind = (body.get("template_card") or {}).get("card_type")
            if kind not in ROBOT_CARD_TYPES:
                return _err(INVALID_MESSAGE_TYPE, "invalid message type")
        if body.get("msgtype") != "image":
            return self._media_known(body) or _ok()
        image = body.get("image") or {}
        try:
            content = base64.b64decode(str(image.get("base64", "")), validate=True)
        except ValueError:
            return _err(40009, "invalid image base64")
        if hashlib.md5(content).hexdigest() != image.get("md5") or not content:
            return _err(40009, "image md5 does not match")
        if len(content) > ROBOT_IMAGE_LIMIT:
            return _err(40009, "image over 2 MB")
        return _ok()

    def _gettoken(self, query: Mapping[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id:
            return _err(40013, "invalid corpid")
        if query.get("corpsecret") != self._secret:
            return _err(40001, "invalid credential")
        token = secrets.token_urlsafe(96)
        self._state.tokens[token] = self.clock() + self._token_ttl
        return _ok(access_token=token, expires_in=int(self._token_ttl.total_seconds()))

    def _check_token(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return _err(41001, TOKEN_ERRMSG[41001])
        expires_at = self._state.tokens.get(token)
        if expires_at is None:
            return _err(40014, TOKEN_ERRMSG[40014])
        if self.clock() >= expires_at:
            return _err(42001, TOKEN_ERRMSG[42001])
        return None

    def _message_send(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("agentid") != self.agent_id:
            return _err(40056, "invalid agentid")
        unknown_media = self._media_known(body)
        if unknown_media is not None:
            return unknown_media
        recipients = [u for u in str(body.get("touser", "")).split("|") if u]
        invalid = self._invalid_users(recipients)
        if not recipients or len(invalid) == len(recipients):
            return _err(
                ALL_RECIPIENTS_INVALID, "all recipients invalid", invaliduser="|".join(invalid)
            )
        answer = _ok(invaliduser="|".join(invalid), msgid=secrets.token_urlsafe(48))
        if body.get("msgtype") == "template_card":
            task_id = str((body.get("template_card") or {}).get("task_id", ""))
            if task_id in self._state.task_ids:
                return _err(TASK_ID_REUSED, "task_id already exists")
            if task_id:
                self._state.task_ids.add(task_id)
            answer["response_code"] = self.issue_response_code(task_id)
        return answer

    def _invalid_users(self, recipients: list[str]) -> list[str]:
        if self.users is None or "@all" in recipients:
            return []
        return [u.lower() for u in recipients if u.lower() not in self.users]

    def _update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("response_code", ""))
        if code not in self._state.response_codes or code in self._state.used_codes:
            return _err(RESPONSE_CODE_REJECTED, "invalid or used response_code")
        self._state.used_codes.add(code)
        return _ok()

    def _appchat_create(self, body: dict[str, Any]) -> dict[str, Any]:
        chatid = str(body.get("chatid") or secrets.token_hex(16))
        self._state.chats[chatid] = body
        return _ok(chatid=chatid)


def _menu_name_ok(button: dict[str, Any], limit: int) -> bool:
    name = button.get("name")
    return isinstance(name, str) and 0 < len(name.encode()) <= limit


def _menu_action_ok(button: dict[str, Any]) -> bool:
    kind, key = button.get("type"), button.get("key")
    if kind not in MENU_TYPES:
        return False
    if kind == "view":
        return isinstance(button.get("url"), str)
    return isinstance(key, str) and 0 < len(key.encode()) <= 128


def _reached(call: ApiCall, userid: str) -> bool:
    recipients = [u.lower() for u in str((call.json or {}).get("touser", "")).split("|")]
    invalid = str((call.response or {}).get("invaliduser", "")).split("|")
    return "@all" in recipients or (userid.lower() in recipients and userid.lower() not in invalid)


@dataclass(frozen=True)
class _Upload:
    filename: str
    content_type: str
    content: bytes


async def _read_upload(request: web.Request) -> tuple[dict[str, Any], _Upload | None]:
    """The multipart ``media`` field, and what the call log keeps of it (not the bytes)."""
    if not request.content_type.startswith("multipart/"):
        return {"media": None}, None
    form = await request.post()
    field = form.get("media")
    if not isinstance(field, web.FileField):
        return {"media": None}, None
    content = field.file.read()
    upload = _Upload(field.filename, field.content_type, content)
    return {"media": {"filename": upload.filename, "size": len(content)}}, upload


async def _read_json(request: web.Request) -> dict[str, Any] | None:
    if not request.can_read_body:
        return None
    try:
        data = json.loads(await request.read())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class CallbackClient:
    """Plays WeCom delivering callbacks to the bot; each method returns the HTTP status."""

    def __init__(self, fake: FakeWeCom, url: str, crypto: CallbackCrypto) -> None:
        self._fake = fake
        self.url = url
        self.crypto = crypto
        self._session: aiohttp.ClientSession | None = None
        self.last_body = ""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def now(self) -> int:
        return int(self._fake.clock().timestamp())

    def seal(
        self,
        message: CallbackMessage | str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> EncryptedCallback:
        """Encrypt and sign ``message`` (or raw plaintext XML) as WeCom would."""
        xml = message if isinstance(message, str) else message_xml(message, self.crypto.corp_id)
        return self.crypto.encrypt_message(
            xml,
            nonce=nonce or _nonce(),
            timestamp=timestamp if timestamp is not None else self.now(),
            agent_id=self._fake.agent_id,
        )

    async def send(self, message: CallbackMessage | str, *, timestamp: int | None = None) -> int:
        sealed = self.seal(message, timestamp=timestamp)
        return await self.send_raw(sealed.body, sealed.query)

    async def send_text(
        self,
        from_user: str,
        content: str,
        msg_id: str | None = None,
        create_time: int | None = None,
    ) -> int:
        message = TextMessage(
            from_user=from_user,
            create_time=create_time if create_time is not None else self.now(),
            msg_id=msg_id or str(secrets.randbelow(2**63)),
            content=content,
            agent_id=self._fake.agent_id,
        )
        return await self.send(message)

    async def click_card(
        self,
        from_user: str,
        task_id: str,
        event_key: str,
        response_code: str | None = None,
        *,
        create_time: int | None = None,
        card_type: str = "button_interaction",
    ) -> int:
        click = CardClick(
            from_user=from_user,
            create_time=create_time if create_time is not None else self.now(),
            event_key=event_key,
            task_id=task_id,
            card_type=card_type,
            response_code=response_code or self._fake.issue_response_code(task_id),
            agent_id=self._fake.agent_id,
        )
        return await self.send(click)

    def scan_event(
        self,
        from_user: str,
        event_key: str,
        code: str,
        *,
        scan_type: str = "barcode",
        create_time: int | None = None,
        event: str = "scancode_waitmsg",
    ) -> ScanEvent:
        """What WeCom sends when ``from_user`` scans ``code`` with menu button ``event_key``.

        A barcode's result is "symbology,content" (``EAN_13,6901234567892``); a QR code's is
        its content. ``code`` is sent as given when it already names its symbology.
        """
        result = code
        if scan_type == "barcode" and "," not in code:
            result = f"{_symbology(code)},{code}"
        return ScanEvent(
            from_user=from_user,
            create_time=create_time if create_time is not None else self.now(),
            event=event,
            event_key=event_key,
            scan_type=scan_type,
            scan_result=result,
            agent_id=self._fake.agent_id,
        )

    async def scan(self, from_user: str, event_key: str, code: str, **options: Any) -> int:
        return await self.send(self.scan_event(from_user, event_key, code, **options))

    async def click_menu(
        self, from_user: str, event_key: str, *, create_time: int | None = None
    ) -> int:
        click = MenuClick(
            from_user=from_user,
            create_time=create_time if create_time is not None else self.now(),
            event_key=event_key,
            agent_id=self._fake.agent_id,
        )
        return await self.send(click)

    async def verify_url(self, echo: str = "5927782489442352469") -> tuple[int, str]:
        """WeCom's GET URL check; a correct bot answers 200 with ``echo`` as the bare body."""
        query = self.crypto.url_check_query(echo, _nonce(), self.now())
        status = await self.send_raw(b"", query, method="GET")
        return status, self.last_body

    async def send_raw(
        self, body: bytes | str, query: Mapping[str, str], *, method: str = "POST"
    ) -> int:
        """Send any body and query, e.g. a corrupted or mis-signed one."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": "text/xml"} if method == "POST" else {}
        async with self._session.request(
            method, self.url, params=dict(query), data=data or None, headers=headers
        ) as resp:
            raw = await resp.read()
            self.last_body = raw.decode("utf-8", "replace")
            if method == "POST" and resp.status == 200 and raw:
                await self._fake.record_passive_reply(self.crypto, raw)
            return resp.status


def _symbology(code: str) -> str:
    """How WeCom's scanner names a code's symbology (digits of EAN/UPC lengths, else 128)."""
    if code.isdigit():
        return {8: "EAN_8", 12: "UPC_A", 13: "EAN_13"}.get(len(code), "CODE_128")
    return "CODE_128"


def _nonce() -> str:
    return str(secrets.randbelow(10**10))
