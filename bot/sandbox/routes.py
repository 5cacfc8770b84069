"""The chat page and its API, served by the bot's own app under ``/`` and ``/sandbox/``.

- ``GET /``: the page; ``GET /sandbox/static/…``: its script and styles;
- ``GET /sandbox/config``: staff, group chats and alert rules, with their Chinese names;
- ``GET /sandbox/events``: the chat log as server-sent events, then each new event live;
- ``POST /sandbox/say`` ``{userid, text}``, ``POST /sandbox/click`` ``{userid, task_id, key}``,
  ``POST /sandbox/menu`` ``{userid, key}`` (a click menu button) and ``POST /sandbox/scan``
  ``{userid, key, code}`` (the camera of a scan menu button: a ``scancode_waitmsg`` event): sent
  to ``/wecom/callback`` encrypted and signed, exactly as WeCom would send them;
- ``POST /sandbox/rules/{name}``: run one alert rule now and deliver what it wrote;
- ``GET /sandbox/media/{media_id}``: a picture or file the bot uploaded to the fake WeCom
  (pictures shown inline, files downloaded under their name).

Event ids are ``<epoch>.<n>``, the epoch naming this run of the sandbox: a page still open
from an earlier run reconnects with an id from another epoch and is told to start over.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.appkeys import CLOCK, SETTINGS, WORKERS, new_uow
from bot.sandbox.chatlog import ChatEvent, group_chat, user_chat
from bot.sandbox.demo_data import PURCHASING_CHAT, SCAN_CODES, STAFF, STORE_CHAT
from bot.sandbox.state import SANDBOX, Sandbox
from core.common import ROLE_NAMES, Role
from notifications.registry import RULES, run_and_commit

STATIC = Path(__file__).with_name("static")
BOT_NAME = "JXC 助手"
GROUPS = [
    (STORE_CHAT, "门店群", "临期、每日汇总、盘点计划"),
    (PURCHASING_CHAT, "采购群", "低库存补货"),
]
KEEPALIVE_SECONDS = 15.0
STAFF_IDS = frozenset(userid for userid, _, _ in STAFF)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_static("/sandbox/static/", STATIC)
    app.router.add_get("/sandbox/config", config)
    app.router.add_get("/sandbox/events", events)
    app.router.add_post("/sandbox/say", say)
    app.router.add_post("/sandbox/click", click)
    app.router.add_post("/sandbox/menu", menu_click)
    app.router.add_post("/sandbox/scan", scan)
    app.router.add_post("/sandbox/rules/{name}", run_rule)
    app.router.add_get("/sandbox/media/{media_id}", media)


async def media(request: web.Request) -> web.Response:
    found = request.app[SANDBOX].fake.media(request.match_info["media_id"])
    if found is None:
        raise web.HTTPNotFound(text="no such media")
    headers = {}
    if found.kind == "file":
        quoted = urllib.parse.quote(found.filename)
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quoted}"
    content_type = found.content_type or "application/octet-stream"
    return web.Response(body=found.content, content_type=content_type, headers=headers)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def config(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "bot": BOT_NAME,
            "timezone": request.app[SETTINGS].timezone,
            "staff": [
                {"userid": userid, "name": name, "role": ROLE_NAMES[Role(role)]}
                for userid, name, role in STAFF
            ],
            "groups": [
                {"chat": group_chat(chatid), "name": name, "about": about}
                for chatid, name, about in GROUPS
            ],
            "rules": [{"name": r.name, "label": r.label} for r in RULES.values()],
            # The menu the bot pushed with menu/create, as WeCom would show it.
            "menu": request.app[SANDBOX].fake.menus.get(request.app[SETTINGS].wecom_agent_id),
            "scan_codes": [{"code": code, "label": label} for code, label in SCAN_CODES],
        }
    )


async def events(request: web.Request) -> web.StreamResponse:
    chat_log = request.app[SANDBOX].log
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    last = _last_seen(request, chat_log.epoch)
    try:
        if last is None:
            await response.write(b"event: reset\ndata: {}\n\n")
            last = 0
        while True:
            for event in chat_log.since(last):
                await response.write(_sse(chat_log.epoch, event))
                last = event.id
            try:
                # asyncio.timeout: Python 3.11's wait_for can lose a cancel (see FakeWeCom).
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    if not await chat_log.wait_after(last):
                        break
            except TimeoutError:
                # A comment line: keeps proxies from closing the stream, finds gone clients.
                await response.write(b": keepalive\n\n")
    except ConnectionResetError:
        pass
    return response


def _last_seen(request: web.Request, epoch: str) -> int | None:
    """The last event id the page has; None when it has events of an earlier run."""
    seen = request.headers.get("Last-Event-ID") or request.query.get("after", "")
    if not seen:
        return 0
    seen_epoch, _, number = seen.partition(".")
    return int(number) if seen_epoch == epoch and number.isdigit() else None


def _sse(epoch: str, event: ChatEvent) -> bytes:
    data = json.dumps(event.to_json(), ensure_ascii=False)
    return f"id: {epoch}.{event.id}\ndata: {data}\n\n".encode()


async def say(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await _form(request)
    userid = _staff(form)
    text = str(form.get("text", "")).strip()
    if not text:
        raise web.HTTPBadRequest(text="empty_text")
    await sandbox.log.add(user_chat(userid), "me", "text", {"content": text}, _now(request))
    return await _delivered(sandbox, sandbox.callbacks.send_text(userid, text))


async def click(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await _form(request)
    userid = _staff(form)
    task_id, key = str(form.get("task_id", "")), str(form.get("key", ""))
    label = sandbox.log.button_text(task_id, key)
    if label is None:
        raise web.HTTPConflict(text="unknown_card_button")
    # WeCom gives every click a fresh response code; the card update that answers it uses it.
    code = sandbox.fake.issue_response_code(task_id)
    sandbox.log.remember_code(code, task_id)
    body = {"task_id": task_id, "text": label}
    await sandbox.log.add(user_chat(userid), "me", "click", body, _now(request))
    return await _delivered(sandbox, sandbox.callbacks.click_card(userid, task_id, key, code))


async def menu_click(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await _form(request)
    userid = _staff(form)
    key = str(form.get("key", ""))
    label = _menu_button(request, key, "click")
    await sandbox.log.add(user_chat(userid), "me", "click", {"text": label}, _now(request))
    return await _delivered(sandbox, sandbox.callbacks.click_menu(userid, key))


async def scan(request: web.Request) -> web.Response:
    """The phone's camera: WeCom sends what it read with the scan button's key."""
    sandbox = request.app[SANDBOX]
    form = await _form(request)
    userid = _staff(form)
    key, code = str(form.get("key", "")), str(form.get("code", "")).strip()
    label = _menu_button(request, key, "scancode_waitmsg")
    if not code:
        raise web.HTTPBadRequest(text="empty_code")
    kind = "barcode" if code.isdigit() else "qrcode"
    body = {"text": label, "code": code}
    await sandbox.log.add(user_chat(userid), "me", "scan", body, _now(request))
    moment = sandbox.scan_moment(userid)
    sent = sandbox.callbacks.scan(userid, key, code, scan_type=kind, create_time=moment)
    return await _delivered(sandbox, sent)


def _menu_button(request: web.Request, key: str, kind: str) -> str:
    menu = request.app[SANDBOX].fake.menus.get(request.app[SETTINGS].wecom_agent_id) or {}
    for button in menu.get("button", []):
        for entry in [button, *button.get("sub_button", [])]:
            if entry.get("key") == key and entry.get("type") == kind:
                return str(entry["name"])
    raise web.HTTPConflict(text="unknown_menu_button")


async def run_rule(request: web.Request) -> web.Response:
    app = request.app
    name = request.match_info["name"]
    if name not in RULES:
        raise web.HTTPNotFound(text="unknown_rule")
    report = await run_and_commit(new_uow(app), name, app[CLOCK]())
    app[WORKERS].delivery.wake()
    return web.json_response(
        {"rule": name, "found": len(report.found), "messages": report.messages}
    )


async def _form(request: web.Request) -> dict[str, Any]:
    try:
        form = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="invalid_json") from None
    if not isinstance(form, dict):
        raise web.HTTPBadRequest(text="invalid_json")
    return form


def _staff(form: dict[str, Any]) -> str:
    userid = str(form.get("userid", ""))
    if userid not in STAFF_IDS:
        raise web.HTTPBadRequest(text="unknown_user")
    return userid


def _now(request: web.Request) -> str:
    return request.app[CLOCK]().isoformat()


async def _delivered(sandbox: Sandbox, callback: Awaitable[int]) -> web.Response:
    status = await callback
    if status != 200:
        reason = sandbox.callbacks.last_body
        return web.json_response({"ok": False, "status": status, "reason": reason}, status=502)
    return web.json_response({"ok": True})
