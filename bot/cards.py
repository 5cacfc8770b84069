"""Turn the outbox's plain card payload (``handlers.cards.Card.to_payload()``) into WeCom JSON.

The limits checked here are WeCom's hard ones for ``button_interaction`` cards; a card breaking
them would be refused by the API, so it fails early and loudly instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_ROWS = 6
MAX_BUTTONS = 6
MAX_KEY_BYTES = 1024
MAX_TASK_ID_BYTES = 128
_TASK_ID = re.compile(r"[0-9A-Za-z_\-@]+")


def check_task_id(task_id: str) -> str:
    """WeCom's task_id rule: 1–128 bytes of ``0-9 a-z A-Z _ - @``, unique within the app."""
    if not _TASK_ID.fullmatch(task_id) or len(task_id.encode()) > MAX_TASK_ID_BYTES:
        raise ValueError(f"invalid WeCom task_id {task_id!r}")
    return task_id


def _buttons(buttons: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"a button card needs 1 to {MAX_BUTTONS} buttons, not {len(buttons)}")
    keys = [str(b["key"]) for b in buttons]
    if len(set(keys)) != len(keys):
        raise ValueError("button keys must be unique within a card")
    if any(len(k.encode()) > MAX_KEY_BYTES or not k for k in keys):
        raise ValueError(f"button keys must be 1 to {MAX_KEY_BYTES} bytes")
    styles = [int(b.get("style", 1)) for b in buttons]
    if any(not 1 <= s <= 4 for s in styles):
        raise ValueError("button style must be 1 to 4")
    return [
        {"text": str(b["text"]), "style": s, "key": k}
        for b, s, k in zip(buttons, styles, keys, strict=True)
    ]


def template_card(card: Mapping[str, Any]) -> dict[str, Any]:
    """A ``button_interaction`` template card from ``{task_id, title, description, rows,
    note, buttons}``."""
    rows = list(card.get("rows", ()))
    if len(rows) > MAX_ROWS:
        raise ValueError(f"a card shows at most {MAX_ROWS} rows, not {len(rows)}")
    result: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": str(card["title"]), "desc": str(card.get("description", ""))},
        "task_id": check_task_id(str(card["task_id"])),
        "button_list": _buttons(list(card.get("buttons", ()))),
    }
    if rows:
        result["horizontal_content_list"] = [
            {"keyname": str(name), "value": str(value)} for name, value in rows
        ]
    if card.get("note"):
        result["sub_title_text"] = str(card["note"])
    return result


def wire_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox payload as ``message/send`` wants it: ``card`` becomes ``template_card``."""
    if payload.get("msgtype") != "card":
        return dict(payload)
    return {"msgtype": "template_card", "template_card": template_card(payload["card"])}
