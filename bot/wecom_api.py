"""Async client for WeCom's server API (``message/send``, cards, app chats, group robots).

Retry policy, per call:
- transport failures (network error, timeout, HTTP 5xx/429, a body that is not JSON), WeCom's
  "system busy" (-1) and rate limiting (45009) are retried with exponential backoff up to
  ``max_attempts``;
- an invalid, expired or missing token (40014, 42001, 41001) is refetched and the call repeated
  once; this does not count as an attempt;
- everything else, notably 40001 (bad secret) and 60020 (server IP not trusted), fails at once.
A send whose answer was lost may have been delivered: callers get at-least-once delivery.

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

from core.clock import Clock, utcnow

log = logging.getLogger(__name__)

TOKEN_ERRCODES = frozenset({40014, 42001, 41001})
RETRYABLE_ERRCODES = frozenset({-1, 45009})
BAD_SECRET = 40001
IP_NOT_TRUSTED = 60020
# Our code for "no WeCom answer" (network, HTTP error, not JSON); WeCom's "busy" is -1 as well.
TRANSPORT_ERRCODE = -1
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


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
        """Send ``payload`` (``msgtype`` and its body, as the outbox stores it) to users."""
        body = {"touser": _join_users(touser), "agentid": self.agent_id, **payload}
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
        return await self._call("menu/create", menu, query={"agentid": str(self.agent_id)})

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
        query: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``params`` replace the token (gettoken, robots); ``query`` is sent beside it."""
        authed = params is None
        extra = dict(query or {})
        token_refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.access_token() if authed else None
            sent = {"access_token": token, **extra} if token is not None else dict(params or {})
            try:
                data = await self._request(method, path, sent, body)
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
        self, method: str, path: str, query: Mapping[str, str], body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        try:
            async with self._session.request(
                method, self._base + path, params=query, json=body, timeout=self._timeout
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
