"""帮助's sections: every command but 帮助 itself is listed in exactly one of them."""

from __future__ import annotations

from collections import Counter

from handlers.dispatch import ROUTER
from handlers.help import SECTIONS


def test_every_command_stands_in_exactly_one_help_section() -> None:
    placed = Counter(keyword for keywords in SECTIONS.values() for keyword in keywords)
    commands = {c.keyword for c in ROUTER.commands} - {"帮助"}
    assert set(placed) == commands
    assert [k for k, n in placed.items() if n > 1] == []
