"""Every 帮助 reply, for every role and preset, fits one WeCom text message with room to spare.

WeCom refuses a text message over 2048 bytes of UTF-8; a longer reply goes out in parts, and a
help list cut in two at an arbitrary line reads badly. The margin leaves room for long names
and a few more commands.
"""

from __future__ import annotations

import pytest

from core import catalog, presets
from core.common import MAX_MESSAGE_BYTES, Role
from core.storage import UnitOfWork
from handlers.help import SECTIONS
from tests.support.chat import ChatFactory
from tests.support.ledger import run, seed_shop

HELP_BUDGET = MAX_MESSAGE_BYTES - 512
ONE_PER_ROLE = {
    Role.CLERK: "clerk1",
    Role.PURCHASER: "buyer",
    Role.MANAGER: "mgr1",
    Role.ADMIN: "boss",
    Role.AUDITOR: "audit",
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.mark.parametrize("preset", [None, *presets.PRESETS])
async def test_every_help_reply_fits_one_wecom_message_for_every_role_and_preset(
    uow: UnitOfWork, chat_factory: ChatFactory, preset: str | None
) -> None:
    await seed_shop(uow)
    await run(
        uow, lambda u: catalog.save_user(u, "boss", "buyer", "采购员小刘", "purchaser", ["MAIN"])
    )
    if preset is not None:
        await run(uow, lambda u: presets.apply_preset(u, "boss", preset))
    chat = chat_factory(uow)
    for role, userid in ONE_PER_ROLE.items():
        for text in ("帮助", *(f"帮助 {section}" for section in SECTIONS)):
            reply = await chat.say(userid, text)
            size = len(reply.encode("utf-8"))
            assert size <= HELP_BUDGET, f"{role} {text!r} under {preset}: {size} bytes"
            assert "（续" not in reply
