"""What the wire hands to the handlers: one received WeCom message, card click, menu click or
scan (``text`` is then the raw ``ScanResult``, ``event_key`` the menu button's key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InboundKind = Literal["text", "card_click", "scan", "menu_click", "other"]


@dataclass(frozen=True)
class Inbound:
    userid: str
    kind: InboundKind
    # The inbox dedupe key (WeCom MsgId, or the click's identity): the idempotency key of
    # whatever the message asks the ledger to do.
    key: str
    text: str = ""
    task_id: str = ""
    event_key: str = ""
    response_code: str = ""
