"""Async client for WeCom's server API (``message/send``, cards, app chats, group robots).

Retry policy, per call:
- transport failures (network error, timeout, HTTP 5xx/429, a body that is not JSON), WeCom's
  "system busy" (-1) and rate limiting (45009) are retried with exponential backoff up to
  ``max_attempts``;
- an invalid, expired or missing token (40014, 42001, 41001) is refetched and the call repeated
  once; this does not count as an attempt;
- everything else, notably 40001 (bad secret) and 60020 (server IP not trusted), fails at once.
A send whose answer was lost may have been delivered: callers get at-least-once delivery,
and ``message/send`` therefore asks WeCom to drop repeats.

WeCom's duplicate check, as its ``message/send`` reference (发送应用消息) states it:
``"enable_duplicate_check": 1`` turns it on (0, the default, is off): within an interval, a
message with the same content — the same request JSON — is not received again.
``duplicate_check_interval`` sets the interval in seconds: 1800 by default, at most 4 hours.
The request JSON holds ``touser``, ``agentid``, ``msgtype`` and the body, so the check is per
recipient set and per exact content; the reference does not say what the answer to a dropped
repeat looks like. Consequences here: every send of one outbox row must be byte-for-byte the
same request (it is built only from the row, with a fixed interval,
``core.messaging.outbox.DUPLICATE_CHECK_INTERVAL``), and two different rows must never be the
same request, or the second honest reply would be swallowed: ``core.messaging.outbox.enqueue``
makes a row that repeats an earlier one word for word distinct. ``appchat/send``, group robots
and card updates have no such check (a card update's response code is single-use anyway).

Logs carry the API path and errcode, never the secret, the token or a robot key.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from pydantic import SecretStr

from core.common import Clock, utcnow
from core.messaging.outbox import DUPLICATE_CHECK_INTERVAL

log = logging.getLogger(__name__)

TOKEN_ERRCODES = frozenset({40014, 42001, 41001})
RETRYABLE_ERRCODES = frozenset({-1, 45009})
BAD_SECRET = 40001
IP_NOT_TRUSTED = 60020
# Our code for "no WeCom answer" (network, HTTP error, not JSON); WeCom's "busy" is -1 as well.
TRANSPORT_ERRCODE = -1
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
# media/upload (上传临时素材): multipart field "media"; every file > 5 bytes; images JPG or
# PNG ≤ 10 MB, other files ≤ 20 MB; the media_id it answers lives three days. A group robot
# takes an image inline (base64 + md5, ≤ 2 MB before encoding) and a file through
# webhook/upload_media (≤ 20 MB).
MEDIA_LIMITS = {"image": 10 * 1024 * 1024, "file": 20 * 1024 * 1024}
ROBOT_IMAGE_LIMIT = 2 * 1024 * 1024
MIN_MEDIA_BYTES = 6
CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpg", ".jpeg": "image/jpg"}
DUPLICATE_CHECK_SECONDS = int(DUPLICATE_CHECK_INTERVAL.total_seconds())
# ``message/send`` takes at most this many userids in ``touser``.
MAX_RECIPIENTS = 1000


class WeComApiError(Exception):
    def __init__(self, errcode: int, errmsg: str, retryable: bool) -> None:
        super().__init__(f"WeCom API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.retryable = retryable


class _Transient(Exception):
    """No usable WeCom answer; worth another attempt."""


def _join_users(users: str | Iterable[str]) -> str:
    return users if isinstance(users, str) else "|".join(users)


def _body(msgtype: str, content: str | Mapping[str, Any]) -> dict[str, Any]:
    inner = {"content": content} if isinstance(content, str) else dict(content)
    return {"msgtype": msgtype, msgtype: inner}


class WeComClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_base: str,
        corp_id: str,
        corp_secret: str | SecretStr,
        agent_id: int,
        clock: Clock = utcnow,
        *,
        max_attempts: int = 4,
        retry_base_delay: float = 0.5,
        request_timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._base = api_base.rstrip("/") + "/"
        self._corp_id = corp_id
        self._secret = corp_secret if isinstance(corp_secret, SecretStr) else SecretStr(corp_secret)
        self.agent_id = agent_id
        self._clock = clock
        self._max_attempts = max(1, max_attempts)
        self._retry_base_delay = retry_base_delay
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._sleep = sleep
        self._token: str | None = None
        self._token_expires_at: datetime | None = None
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"WeComClient(api_base={self._base!r}, corp_id={self._corp_id!r})"

    # -- messages -------------------------------------------------------------------------

    async def send_message(
        self, touser: str | Iterable[str], payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send ``payload`` (``msgtype`` and its body, as the outbox stores it) to users.

        Repeats of the same call within ``DUPLICATE_CHECK_INTERVAL`` are dropped by WeCom.
        """
        body = {
            "touser": _join_users(touser),
            "agentid": self.agent_id,
            **payload,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
        }
        data = await self._call("message/send", body)
        if data.get("invaliduser"):
            log.warning(
                "wecom_invalid_users", extra={"invaliduser": data["invaliduser"], "errcode": 0}
            )
        return data

    async def send_text(self, touser: str | Iterable[str], content: str) -> dict[str, Any]:
        return await self.send_message(touser, _body("text", content))

    async def send_markdown(self, touser: str | Iterable[str], content: str) -> dict[str, Any]:
        return await self.send_message(touser, _body("markdown", content))

    async def send_template_card(
        self, touser: str | Iterable[str], card: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send a template card; the answer's ``response_code`` lets us update it later."""
        return await self.send_message(
            touser, {"msgtype": "template_card", "template_card": dict(card)}
        )

    async def update_template_card(
        self,
        userids: Iterable[str],
        response_code: str,
        *,
        button_replace_name: str | None = None,
        card: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Replace the clicked button's label, or the whole card (give exactly one)."""
        if (button_replace_name is None) == (card is None):
            raise ValueError("give exactly one of button_replace_name and card")
        body: dict[str, Any] = {
            "userids": list(userids),
            "agentid": self.agent_id,
            "response_code": response_code,
        }
        if card is not None:
            body["template_card"] = dict(card)
        else:
            body["button"] = {"replace_name": button_replace_name}
        return await self._call("message/update_template_card", body)

    # -- media ----------------------------------------------------------------------------

    async def upload_media(self, kind: str, content: bytes, filename: str) -> str:
        """Upload a temporary image or file; returns its ``media_id`` (valid three days)."""
        _check_media(kind, content, MEDIA_LIMITS.get(kind, 0))
        data = await self._call(
            "media/upload", None, extra={"type": kind}, form=_form(content, filename)
        )
        return str(data["media_id"])

    async def webhook_upload_media(self, key: str, content: bytes, filename: str) -> str:
        """Upload a file for a group robot's file message; returns its ``media_id``."""
        _check_media("file", content, MEDIA_LIMITS["file"])
        data = await self._call(
            "webhook/upload_media",
            None,
            params={"key": key, "type": "file"},
            form=_form(content, filename),
        )
        return str(data["media_id"])

    # -- group chats and robots -----------------------------------------------------------

    async def appchat_create(
        self, name: str, owner: str, userlist: Iterable[str], chatid: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "owner": owner, "userlist": list(userlist)}
        if chatid is not None:
            body["chatid"] = chatid
        return await self._call("appchat/create", body)

    async def appchat_send(
        self, chatid: str, msgtype: str, content: str | Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self._call("appchat/send", {"chatid": chatid, **_body(msgtype, content)})

    async def webhook_send(
        self, key: str, msgtype: str, content: str | Mapping[str, Any]
    ) -> dict[str, Any]:
        """Post through a group robot; it needs no access token, only its key."""
        return await self._call("webhook/send", _body(msgtype, content), params={"key": key})

    # -- the app's menu ---------------------------------------------------------------------

    async def create_menu(self, menu: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the app's menu (``{"button": [...]}``); the agent id goes in the query."""
        return await self._call("menu/create", menu, extra={"agentid": str(self.agent_id)})

    # -- token ----------------------------------------------------------------------------

    async def access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token_still_good():
                return self._token
            params = {"corpid": self._corp_id, "corpsecret": self._secret.get_secret_value()}
            data = await self._call("gettoken", None, params=params, method="GET")
            self._token = str(data["access_token"])
            lifetime = timedelta(seconds=int(data.get("expires_in", 7200)))
            self._token_expires_at = self._clock() + lifetime
            log.info("wecom_token_fetched", extra={"expires_in": lifetime.total_seconds()})
            return self._token

    def _token_still_good(self) -> bool:
        expires_at = self._token_expires_at
        return expires_at is not None and self._clock() < expires_at - TOKEN_REFRESH_MARGIN

    def _forget_token(self, token: str | None) -> None:
        # Only drop the token this call used; a concurrent call may already hold a fresh one.
        if token is not None and token == self._token:
            self._token = None
            self._token_expires_at = None

    # -- transport ------------------------------------------------------------------------

    async def _call(
        self,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        params: Mapping[str, str] | None = None,
        method: str = "POST",
        extra: Mapping[str, str] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        authed = params is None
        token_refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.access_token() if authed else None
            if token is not None:
                query = {"access_token": token, **(extra or {})}
            else:
                query = dict(params or {})
            try:
                data = await self._request(method, path, query, body, form)
            except _Transient as exc:
                await self._retry_or_raise(path, attempt, TRANSPORT_ERRCODE, str(exc))
                continue
            errcode = int(data.get("errcode", 0))
            if errcode == 0:
                return data
            if errcode in TOKEN_ERRCODES and authed and not token_refreshed:
                log.info("wecom_token_rejected", extra={"path": path, "errcode": errcode})
                self._forget_token(token)
                token_refreshed = True
                attempt -= 1
                continue
            await self._retry_or_raise(path, attempt, errcode, str(data.get("errmsg", "")))

    async def _retry_or_raise(self, path: str, attempt: int, errcode: int, errmsg: str) -> None:
        if errcode in RETRYABLE_ERRCODES and attempt < self._max_attempts:
            delay = self._retry_base_delay * 2 ** (attempt - 1)
            delay += random.uniform(0, self._retry_base_delay)
            log.warning(
                "wecom_api_retry",
                extra={"path": path, "errcode": errcode, "attempt": attempt, "delay_s": delay},
            )
            await self._sleep(delay)
            return
        _log_failure(path, errcode, errmsg)
        # A token error that survived one refresh may still clear up later: let the outbox retry.
        retryable = errcode in RETRYABLE_ERRCODES or errcode in TOKEN_ERRCODES
        raise WeComApiError(errcode, errmsg, retryable)

    async def _request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Mapping[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        # A FormData is spent once sent: each attempt builds its own.
        payload: dict[str, Any] = {"json": body} if form is None else {"data": form()}
        try:
            async with self._session.request(
                method, self._base + path, params=query, timeout=self._timeout, **payload
            ) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise _Transient(f"http {resp.status}")
                if resp.status != 200:
                    raise WeComApiError(TRANSPORT_ERRCODE, f"http {resp.status}", False)
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise _Transient(type(exc).__name__) from exc
        if not isinstance(data, dict):
            raise _Transient("answer is not a JSON object")
        return data


def _check_media(kind: str, content: bytes, limit: int) -> None:
    """Refuse locally what WeCom would refuse, without a round trip (not worth retrying)."""
    if kind not in MEDIA_LIMITS:
        raise WeComApiError(40005, f"media type must be image or file, not {kind!r}", False)
    if not MIN_MEDIA_BYTES <= len(content) <= limit:
        errcode = 40009 if kind == "image" else 40006
        raise WeComApiError(errcode, f"{kind} of {len(content)} bytes is outside 6..{limit}", False)


def _form(content: bytes, filename: str) -> Callable[[], aiohttp.FormData]:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")

    def build() -> aiohttp.FormData:
        # Unquoted: WeCom shows the filename as sent, and would show %E6%8A… for a quoted one.
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("media", content, filename=filename, content_type=content_type)
        return form

    return build


def _log_failure(path: str, errcode: int, errmsg: str) -> None:
    extra: dict[str, Any] = {"path": path, "errcode": errcode, "errmsg": errmsg}
    if errcode == IP_NOT_TRUSTED:
        extra["fix"] = (
            "add this server's public IP to the app's trusted IPs "
            "(WeCom admin console → the app → 企业可信IP)"
        )
    elif errcode == BAD_SECRET:
        extra["fix"] = "check JXC_WECOM_SECRET and JXC_WECOM_CORP_ID against the app's settings"
    log.error("wecom_api_failed", extra=extra)
