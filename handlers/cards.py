"""Cards as plain data. ``bot`` turns them into WeCom ``template_card`` JSON when sending;
handlers and notifications never build wire formats themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CardButton:
    text: str
    key: str
    style: int = 1


@dataclass(frozen=True)
class Card:
    task_id: str
    title: str
    description: str = ""
    rows: tuple[tuple[str, str], ...] = ()
    note: str = ""
    buttons: tuple[CardButton, ...] = field(default_factory=tuple)

    def to_payload(self) -> dict[str, Any]:
        """The outbox payload: ``msgtype`` ``card`` with this card's fields."""
        return {
            "msgtype": "card",
            "card": {
                "task_id": self.task_id,
                "title": self.title,
                "description": self.description,
                "rows": [list(row) for row in self.rows],
                "note": self.note,
                "buttons": [{"text": b.text, "key": b.key, "style": b.style} for b in self.buttons],
            },
        }
