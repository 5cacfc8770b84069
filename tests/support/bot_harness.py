"""The real bot app on 127.0.0.1 against the fake WeCom, with a chat that reads like a transcript.

    async with FakeWeCom(CORP_ID, SECRET, AGENT_ID) as fake:
        async with running_bot(sqlite_url, fake) as bot:
            await seed_shop(bot.uow())
            assert "入库" in (await bot.chat.say("clerk1", "帮助"))[0]

``say`` posts a signed, encrypted callback exactly as WeCom does, waits until the bot has
handled it and delivered everything in its outbox, and returns what the user received since:
texts and markdown as their content, template cards as ``"[card] <title>"``.
The fixtures in ``tests/e2e/conftest.py`` (``fake_wecom``, ``bot``, ``chat``) wrap this.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import Tuning, create_app
from bot.appkeys import READ_LANE, SESSIONS, WORKERS, SchedulerState, new_uow
from bot.fake_wecom import CallbackClient, FakeWeCom
from bot.inbox_worker import Handle
from config import Settings
from core.common import Clock, utcnow
from core.messaging import inbox, outbox
from core.storage import Transact, UnitOfWork, in_transaction
from notifications.outbox_worker import DeliveryPolicy

T = TypeVar("T")

CORP_ID = "wwjxctest0001"
SECRET = "test-app-secret"
AGENT_ID = 1000002
TOKEN = "callbacktoken"
AES_KEY = "BcswZLf/Lntq4AfYX55M9i7PINX17R0DHUQtZfgT2lg"

# Production timings divided by about a hundred, so retries and restarts take milliseconds.
FAST = Tuning(
    delivery=DeliveryPolicy(
        retry_base=timedelta(milliseconds=20),
        poll_interval=0.05,
        heartbeat_interval=0.05,
        stale_after=timedelta(seconds=1),
    ),
    api_max_attempts=2,
    api_retry_base_delay=0.01,
    inbox_poll_interval=0.1,
    shutdown_grace=1.0,
)


def new_fake(**kwargs: Any) -> FakeWeCom:
    return FakeWeCom(CORP_ID, SECRET, AGENT_ID, **kwargs)


def bot_settings(database_url: str, api_base: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "wecom_api_base": api_base,
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": AGENT_ID,
        "wecom_secret": SECRET,
        "wecom_token": TOKEN,
        "wecom_aes_key": AES_KEY,
        **overrides,
    }
    return Settings(**values)


def shown(message: dict[str, Any]) -> str:
    """How a transcript shows one ``message/send`` body."""
    msgtype = message["msgtype"]
    if msgtype == "template_card":
        return f"[card] {message['template_card']['main_title']['title']}"
    if msgtype in ("image", "file"):
        return f"[{msgtype}]"
    return str(message[msgtype]["content"])


class BotHarness:
    def __init__(self, fake: FakeWeCom, app: web.Application, server: TestServer) -> None:
        self.fake = fake
        self.app = app
        self.server = server
        self.url = str(server.make_url("/"))
        self.wecom: CallbackClient = fake.callback_client(self.url, TOKEN, AES_KEY, CORP_ID)
        self.chat = Chat(self)

    def uow(self) -> UnitOfWork:
        """A unit of work on the bot's database, clock and settings."""
        return new_uow(self.app)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction of its own (seeding, reading the ledger)."""
        return await in_transaction(self.uow(), work)

    async def settled(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every received message is handled and every due reply delivered (and
        every passive reply recorded)."""
        async with asyncio.timeout(timeout):
            # The condition lives in the database (other instances could change it): poll it.
            while await self._busy():  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def _busy(self) -> bool:
        if self.app[READ_LANE].records_in_flight:
            return True
        async with self.app[SESSIONS]() as session:
            received = await inbox.status_counts(session)
            outgoing = await outbox.status_counts(session)
        return bool(received.get(inbox.PENDING) or outgoing.get(outbox.PENDING))

    async def kill(self) -> None:
        """Stop as a crash would: workers cancelled mid-work, nothing drained."""
        await self.app[WORKERS].kill()
        await self.server.close()

    async def stop(self) -> None:
        await self.server.close()


class Chat:
    """WeCom users talking to the bot."""

    def __init__(self, bot: BotHarness) -> None:
        self._bot = bot

    def received(self, userid: str) -> list[str]:
        """Everything ``userid`` has received so far, as a transcript shows it."""
        return [shown(message) for message in self._bot.fake.messages_to(userid)]

    async def say(self, userid: str, text: str, *, timeout: float = 5.0) -> list[str]:  # noqa: ASYNC109
        """Send ``text`` as ``userid``; return what the user received in answer."""
        return await self._exchange(userid, self._bot.wecom.send_text(userid, text), timeout)

    async def click(
        self,
        userid: str,
        task_id: str,
        event_key: str,
        response_code: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[str]:
        """Click button ``event_key`` on card ``task_id``; return what the user received."""
        post = self._bot.wecom.click_card(userid, task_id, event_key, response_code)
        return await self._exchange(userid, post, timeout)

    async def _exchange(
        self,
        userid: str,
        post: Awaitable[int],
        timeout: float,  # noqa: ASYNC109
    ) -> list[str]:
        before = len(self._bot.fake.messages_to(userid))
        status = await post
        assert status == 200, f"callback answered {status}: {self._bot.wecom.last_body}"
        await self._bot.settled(timeout)
        return self.received(userid)[before:]


@asynccontextmanager
async def running_bot(
    database_url: str,
    fake: FakeWeCom,
    *,
    api_base: str | None = None,
    clock: Clock = utcnow,
    handle: Handle | None = None,
    scheduler: SchedulerState | None = None,
    tuning: Tuning = FAST,
    isolated: Transact | None = None,
    **settings: Any,
) -> AsyncIterator[BotHarness]:
    """The bot app served on 127.0.0.1, talking to ``fake`` (or to ``api_base``).

    ``settings`` override single ``Settings`` fields, e.g. ``wecom_token="123456"``.
    """
    options: dict[str, Any] = {"clock": clock, "tuning": tuning, "scheduler": scheduler}
    if handle is not None:
        options["handle"] = handle
    if isolated is not None:
        options["isolated"] = isolated
    app = create_app(bot_settings(database_url, api_base or fake.api_base, **settings), **options)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    harness = BotHarness(fake, app, server)
    try:
        yield harness
    finally:
        await harness.stop()
