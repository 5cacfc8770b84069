"""End-to-end fixtures: the fake WeCom, the real bot app on a seeded SQLite shop, and its chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.fake_wecom import FakeWeCom
from core.storage import UnitOfWork
from tests.support.bot_harness import BotHarness, Chat, new_fake, running_bot
from tests.support.clock import ManualClock
from tests.support.http_chat import HttpChat
from tests.support.ledger import seed_shop


@pytest.fixture
async def fake_wecom() -> AsyncIterator[FakeWeCom]:
    async with new_fake() as fake:
        yield fake


@pytest.fixture
async def bot(sqlite_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom) as harness:
        await seed_shop(harness.uow())
        yield harness


@pytest.fixture
def chat(bot: BotHarness) -> Chat:
    return bot.chat


@pytest.fixture
async def chat_factory(
    database_url: str, clock: ManualClock
) -> AsyncIterator[Callable[[UnitOfWork], HttpChat]]:
    """Transcript tests of ``tests/integration`` re-run here over the real wire."""
    async with new_fake(clock=clock) as fake, running_bot(database_url, fake, clock=clock) as bot:
        yield lambda uow: HttpChat(bot, uow)
