"""``/wecom/callback``: WeCom's URL check (GET) and its messages and events (POST).

A POST is answered as soon as the message is stored in the inbox: WeCom gives up after about
5 s and sends the message again, so no ledger work happens before the answer. An empty 200
tells WeCom "received, no passive reply"; replies go out through the API (the outbox).
The insert goes through the app's group committer: a burst of callbacks shares one commit
(each in its own savepoint), and none is answered before the commit that made it durable.
A refused request gets a 4xx with a short reason and stores nothing.

A read-only command whose user has nothing queued is answered instead by the read lane
(``bot.read_lane``) in this response: its reply, encrypted and signed, is the 200's body (a
passive reply), and it waits for no commit.

The GET check is not refused for its age: answering it again changes nothing, only someone
holding the token can sign one, and WeCom's own test vector dates from 2014.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import inbox_store
from bot.appkeys import CLOCK, COMMITTER, CRYPTO, METRICS, READ_LANE, WORKERS
from bot.wecom_crypto import MAX_BODY_BYTES, CallbackRejected, is_fresh
from bot.wecom_messages import CallbackMessage, PassiveText, parse_message
from core.storage import CommitterDied

log = logging.getLogger(__name__)

PATH = "/wecom/callback"
SIGNED_QUERY = ("msg_signature", "timestamp", "nonce")


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, receive)


async def verify_url(request: web.Request) -> web.Response:
    """Answer with the decrypted ``echostr``, bare: no quotes, newline or BOM."""
    try:
        signature, timestamp, nonce, echostr = _query(request.query, *SIGNED_QUERY, "echostr")
        echo = request.app[CRYPTO].verify_url(signature, timestamp, nonce, echostr)
    except CallbackRejected as rejected:
        return _refuse(request, rejected)
    request.app[METRICS].callback("url_verified")
    return web.Response(text=echo)


async def receive(request: web.Request) -> web.Response:
    app = request.app
    try:
        message = await _open(request)
    except CallbackRejected as rejected:
        return _refuse(request, rejected)
    lane = app[READ_LANE]
    # A broken instance answers nothing (503 below): its supervisor is about to replace it.
    reply = await lane.answer(message) if app[COMMITTER].state() == "running" else None
    if reply is not None:
        app[METRICS].callback("answered")
        return _passive_response(app, message.from_user, reply)
    try:
        with lane.storing(message.from_user):
            stored = await app[COMMITTER].run(inbox_store.Store(message), savepoint=False)
    except (SQLAlchemyError, OSError, CommitterDied):
        # WeCom sends the message again when it gets no 200: nothing is lost by refusing now.
        log.exception("callback_store_failed")
        app[METRICS].callback("store_failed")
        return web.Response(status=503, text="storage_unavailable")
    app[METRICS].callback("accepted" if stored else "duplicate")
    if stored:
        app[WORKERS].inbox.wake()
    return web.Response(text="")


def _passive_response(app: web.Application, userid: str, content: str) -> web.Response:
    now = int(app[CLOCK]().timestamp())
    crypto = app[CRYPTO]
    xml = PassiveText(userid, crypto.corp_id, now, content).xml()
    body = crypto.seal_reply(xml, nonce=str(secrets.randbelow(10**10)), timestamp=now)
    return web.Response(text=body, content_type="text/xml")


async def _open(request: web.Request) -> CallbackMessage:
    body = await _read_body(request)
    signature, timestamp, nonce = _query(request.query, *SIGNED_QUERY)
    if not is_fresh(timestamp, request.app[CLOCK]()):
        raise CallbackRejected("stale_timestamp", 403)
    xml = request.app[CRYPTO].decrypt_message(body, signature, timestamp, nonce)
    return parse_message(xml)


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise CallbackRejected("body_too_large", 413)
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise CallbackRejected("body_too_large", 413)
    return bytes(body)


def _query(query: Mapping[str, str], *names: str) -> list[str]:
    values = [query.get(name, "") for name in names]
    if not all(values):
        raise CallbackRejected("missing_query_parameter", 400)
    return values


def _refuse(request: web.Request, rejected: CallbackRejected) -> web.Response:
    log.warning(
        "callback_rejected",
        extra={"reason": rejected.reason, "status": rejected.status, "remote": request.remote},
    )
    request.app[METRICS].callback(rejected.reason)
    return web.Response(status=rejected.status, text=rejected.reason)
