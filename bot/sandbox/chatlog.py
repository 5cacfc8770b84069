"""What the chat page shows: every message as a numbered chat event, pushed to the page live.

Events come from two sides: what a person types or clicks on the page (``sender`` ``me``) and
what the fake WeCom received from the bot (``sender`` ``bot``), read from its call log. A chat
is ``user:<userid>`` (that person's chat with the bot) or ``group:<chatid>`` (a group chat).

A card update names neither the card nor its task id, only a response code, so the log keeps
which task each code belongs to: codes come back from sending a card and from each click.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from bot.fake_wecom import REPLY_CALLS, ApiCall, FakeWeCom

FOLLOW_WAKEUP_SECONDS = 60.0


@dataclass(frozen=True)
class ChatEvent:
    id: int
    chat: str
    sender: str  # "me" or "bot"
    kind: str  # "text", "markdown", "card", "card_update", "click", "image" or "file"
    body: dict[str, Any]
    time: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def user_chat(userid: str) -> str:
    return f"user:{userid.lower()}"


def group_chat(chatid: str) -> str:
    return f"group:{chatid}"


class ChatLog:
    def __init__(self) -> None:
        self.epoch = secrets.token_hex(4)
        self.events: list[ChatEvent] = []
        self._task_of_code: dict[str, str] = {}
        self._cards: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._closed = False
        # Names of uploaded pictures and files, by media id (the fake WeCom keeps them).
        self.media_name: Callable[[str], str] = lambda media_id: media_id

    async def add(self, chat: str, sender: str, kind: str, body: dict[str, Any], time: str) -> None:
        async with self._changed:
            self.events.append(ChatEvent(len(self.events) + 1, chat, sender, kind, body, time))
            self._changed.notify_all()

    def since(self, last_id: int) -> list[ChatEvent]:
        """Events after ``last_id`` (ids count from 1, so 0 means all of them)."""
        return self.events[max(last_id, 0) :]

    async def wait_after(self, last_id: int) -> bool:
        """Wait for an event after ``last_id``; False once the log is closed."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed or len(self.events) > last_id)
        return not self._closed

    async def close(self) -> None:
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    def remember_code(self, response_code: str, task_id: str) -> None:
        self._task_of_code[response_code] = task_id

    def button_text(self, task_id: str, key: str) -> str | None:
        buttons = self._cards.get(task_id, {}).get("buttons", [])
        return next((b["text"] for b in buttons if b["key"] == key), None)

    async def record(self, call: ApiCall) -> None:
        """Turn one call the fake WeCom answered into chat events."""
        if not call.took_effect or call.json is None:
            return
        for chat, kind, body in self._translate(call.name, call.json, call.response or {}):
            await self.add(chat, "bot", kind, body, call.time.isoformat())

    def _translate(
        self, name: str, sent: dict[str, Any], answer: dict[str, Any]
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        if name in REPLY_CALLS:  # a passive reply reads like a message/send to its member
            kind, body = self._message(sent, answer)
            for userid in _reached(sent, answer):
                yield user_chat(userid), kind, body
        elif name == "message/update_template_card":
            task_id = self._task_of_code.get(str(sent.get("response_code", "")))
            if task_id is not None:
                body = self._card_update(task_id, sent)
                for userid in sent.get("userids", []):
                    yield user_chat(str(userid)), "card_update", body
        elif name == "appchat/send":
            msgtype = str(sent.get("msgtype"))
            yield group_chat(str(sent.get("chatid"))), msgtype, self._body(msgtype, sent)

    def _body(self, msgtype: str, sent: dict[str, Any]) -> dict[str, Any]:
        body = dict(sent.get(msgtype) or {})
        if msgtype in ("image", "file"):
            media_id = str(body.get("media_id", ""))
            body = {"url": f"/sandbox/media/{media_id}", "name": self.media_name(media_id)}
        return body

    def _message(self, sent: dict[str, Any], answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        msgtype = str(sent.get("msgtype"))
        if msgtype != "template_card":
            return msgtype, self._body(msgtype, sent)
        card = card_view(sent["template_card"])
        self._cards[card["task_id"]] = card
        if answer.get("response_code"):
            self.remember_code(str(answer["response_code"]), card["task_id"])
        return "card", card

    def _card_update(self, task_id: str, sent: dict[str, Any]) -> dict[str, Any]:
        if "template_card" in sent:
            card = card_view(sent["template_card"])
            self._cards[task_id] = card
            return {"task_id": task_id, "card": card}
        return {"task_id": task_id, "replace_name": str(sent.get("button", {}).get("replace_name"))}


def card_view(card: dict[str, Any]) -> dict[str, Any]:
    """The parts of a ``button_interaction`` card the page draws."""
    title = card.get("main_title") or {}
    return {
        "task_id": str(card.get("task_id", "")),
        "title": str(title.get("title", "")),
        "description": str(title.get("desc", "")),
        "rows": [
            [r.get("keyname", ""), r.get("value", "")]
            for r in card.get("horizontal_content_list", [])
        ],
        "note": str(card.get("sub_title_text", "")),
        "buttons": [
            {"text": b.get("text", ""), "key": b.get("key", ""), "style": b.get("style", 1)}
            for b in card.get("button_list", [])
        ],
    }


def _reached(sent: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    invalid = {u.lower() for u in str(answer.get("invaliduser", "")).split("|") if u}
    recipients = [u.lower() for u in str(sent.get("touser", "")).split("|") if u]
    return [u for u in recipients if u not in invalid]


async def follow(fake: FakeWeCom, log: ChatLog) -> None:
    """Copy each call the fake records into ``log``, as it happens, until cancelled."""

    def media_name(media_id: str) -> str:
        media = fake.media(media_id)
        return media_id if media is None else media.filename

    log.media_name = media_name
    seen = 0
    while True:
        try:
            await fake.wait_for(_grown_past(fake, seen), FOLLOW_WAKEUP_SECONDS)
        except TimeoutError:
            continue
        while seen < len(fake.calls):
            await log.record(fake.calls[seen])
            seen += 1


def _grown_past(fake: FakeWeCom, seen: int) -> Callable[[ApiCall], bool]:
    """True for any call once the log holds more than ``seen`` calls: a plain wake-up."""
    return lambda _call: len(fake.calls) > seen
