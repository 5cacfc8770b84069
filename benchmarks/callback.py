"""Callback→reply throughput: hundreds of people chatting with the real app at once.

Each sender plays one member of staff: it sends a signed, encrypted text callback
(``查 <item>`` and ``销售 <item> 1`` in turn), and waits for the bot's reply to reach WeCom
before it sends the next, as a person does. A message's latency runs from posting its
callback to its reply arriving at the fake WeCom, through ``message/send`` or as the passive
reply in the callback's own 200 (the read lane's: it counts the same); throughput is messages
from the first send to the last reply. The baseline is a bare aiohttp handler doing the same
crypto (signature, AES, XML, with wechatpy) and answering an empty 200: the same senders, the
answer is the reply.

The senders and the fake WeCom run in a child process, the server under test in this one:
WeCom is another machine, and sharing this event loop with the load would slow the baseline
(almost all client) far more than the project and flatter the ratio. Everything listens on
127.0.0.1 only. A reply that never comes, or one too many, fails the benchmark.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import statistics
import sys
import time
import traceback
from asyncio.subprocess import PIPE, Process
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from sqlalchemy import select
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto

from benchmarks.latency import Latency
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from benchmarks.wecom_app import WeComApp
from bot.app import create_app
from bot.fake_wecom import FakeWeCom
from bot.wecom_crypto import CallbackCrypto
from bot.wecom_messages import PassiveText, TextMessage, message_xml
from config import Settings
from core import catalog, ledger, storage
from core.ledger import Line, Receive
from core.messaging import inbox
from core.storage import (
    InboxMessage,
    Item,
    OutboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
)

ITEMS = 50
GOAL = Goal(">=", 0.3)
HOST = "127.0.0.1"
PATH = "/wecom/callback"
WARMUP_USER = "bench-warmup"
# A reply later than this is lost, not slow: the benchmark fails instead of waiting forever.
REPLY_TIMEOUT_S = 120.0
CHILD_START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0  # aiohttp's default for a whole request is 5 minutes: too patient
# WeCom drops a user's messages beyond 30 a minute, and so does the bot's rate limiter.
MAX_MESSAGES_PER_SENDER = 30
BASELINE_RUNS = 3
ROOT = Path(__file__).resolve().parents[1]
CHILD = "import sys; from benchmarks.callback import play_wecom; play_wecom(sys.argv[1])"
CHILD_LINE = 1 << 24  # the child's answer is one JSON line with every latency
# What the child plays (``Plan.script``); ``benchmarks.load`` measures the last two.
CONVERSE, BURST, QUERY = "converse", "burst", "query"
# A reply counted this long after the last one expected is one too many: the run fails.
SETTLE_S = 1.0
# In the query script one identity sends at most this many messages, under WeCom's 30 a
# minute per member, and the stock queries take turns among QUERIERS identities.
PER_IDENTITY = 25
QUERIERS = 8
# The queries under load start after the clerks have had this many sales answered, each on
# average: from then on the committer's queue is as full as the clerks keep it.
WARMUP_SALES_PER_CLERK = 3


@dataclass(frozen=True)
class Sizes:
    senders: int
    messages_per_sender: int

    def __post_init__(self) -> None:
        if not 0 < self.messages_per_sender <= MAX_MESSAGES_PER_SENDER:
            raise ValueError(f"1 to {MAX_MESSAGES_PER_SENDER} messages per sender")

    @property
    def messages(self) -> int:
        return self.senders * self.messages_per_sender


FULL = Sizes(senders=200, messages_per_sender=10)
QUICK = Sizes(senders=50, messages_per_sender=3)


@dataclass(frozen=True)
class Plan:
    """What the child playing WeCom does; its JSON is the child's command line."""

    sizes: Sizes
    wecom: WeComApp
    # How long a sender waits for a message's reply before the run fails; None: it does not
    # wait, the callback's 200 is the answer (the baseline).
    reply_timeout_s: float | None
    # ``CONVERSE``: each sender waits for a message's reply before its next message. ``BURST``:
    # each sends all its messages back to back (each as soon as the previous got its 200), then
    # waits for the replies. ``QUERY``: ``queries`` stock queries one after another, each
    # awaiting its reply, while every sender posts sales the same way until the last query is
    # answered, moving to its next of ``identities`` after PER_IDENTITY sales; the queries
    # start once the sales flow (WARMUP_SALES_PER_CLERK).
    script: str = CONVERSE
    queries: int = 0
    identities: int = 1

    def __post_init__(self) -> None:
        if self.queries > PER_IDENTITY * QUERIERS:
            raise ValueError(f"at most {PER_IDENTITY * QUERIERS} queries")

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> Plan:
        return cls(
            Sizes(**fields["sizes"]),
            WeComApp(**fields["wecom"]),
            fields["reply_timeout_s"],
            fields["script"],
            fields["queries"],
            fields["identities"],
        )

    def longest_s(self) -> float:
        """An upper bound of the child's run: every sender waits out the warm-up and its own."""
        per_message = self.reply_timeout_s or REQUEST_TIMEOUT_S
        messages = self.queries if self.script == QUERY else self.sizes.messages_per_sender
        return per_message * (messages + 2) + SETTLE_S + CHILD_START_TIMEOUT_S

    def expected(self) -> int:
        """How many latencies the child reports: one per message, or per query."""
        return self.queries if self.script == QUERY else self.sizes.messages


@dataclass(frozen=True)
class Run:
    """What the child measured: seconds per message to its reply, and to the callback's 200."""

    elapsed_s: float
    latencies_s: tuple[float, ...]
    acks_s: tuple[float, ...]
    # ``QUERY``: the sales the senders posted meanwhile, and whether they were still posting
    # when the last query was answered.
    load_messages: int = 0
    load_outlasted: bool = True

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> Run:
        return cls(
            fields["elapsed_s"],
            tuple(fields["latencies_s"]),
            tuple(fields["acks_s"]),
            fields["load_messages"],
            fields["load_outlasted"],
        )

    @property
    def per_second(self) -> float:
        return len(self.latencies_s) / self.elapsed_s

    def latency(self) -> Latency:
        return Latency(tuple(s * 1000 for s in self.latencies_s))

    def ack_latency(self) -> Latency:
        return Latency(tuple(s * 1000 for s in self.acks_s))

    def raw(self, prefix: str) -> dict[str, float | int]:
        latency = self.latency()
        return {
            f"{prefix}_messages_per_s": round(self.per_second, 1),
            f"{prefix}_p50_ms": round(latency.p50, 2),
            f"{prefix}_p99_ms": round(latency.p99, 2),
            f"{prefix}_ack_p50_ms": round(self.ack_latency().p50, 2),
            f"{prefix}_ack_p99_ms": round(self.ack_latency().p99, 2),
            f"{prefix}_seconds": round(self.elapsed_s, 2),
        }


def sender_id(index: int) -> str:
    return f"bench-sender{index:03d}"


def querier_id(index: int) -> str:
    return f"bench-querier{index}"


def item_name(index: int) -> str:
    return f"商品{index % ITEMS:02d}"


def chat_text(sender: int, n: int) -> str:
    """What sender ``sender`` says the ``n``-th time: a stock query, then a sale, in turn."""
    item = item_name(sender)
    return f"查 {item}" if n % 2 == 0 else f"销售 {item} 1"


async def measure(env: BenchEnv, sizes: Sizes | None = None) -> list[Measurement]:
    sizes = sizes or (QUICK if env.quick else FULL)
    # Secrets of its own for both sides: the operator's JXC_WECOM_* never reach either.
    wecom = WeComApp.generate()
    settings = _settings(env.workdir, wecom)
    env.log(f"callback→reply: {sizes.messages} messages from {sizes.senders} senders")
    await seed(settings.database_url, sizes)
    project = await drive(Plan(sizes, wecom, REPLY_TIMEOUT_S), project_server(settings))
    stages = await _stages(settings.database_url)
    env.log("callback→reply: the bare crypto handler")
    # A baseline run lasts about a second, so one stall of this busy machine would swing it:
    # the median of three, each from a fresh child, is steadier.
    runs = [
        await drive(Plan(sizes, wecom, reply_timeout_s=None), bare_server(wecom))
        for _ in range(BASELINE_RUNS)
    ]
    baseline = sorted(runs, key=lambda run: run.per_second)[BASELINE_RUNS // 2]
    return [_measurement(sizes, project, baseline, stages)]


def _measurement(
    sizes: Sizes, project: Run, baseline: Run, stages: dict[str, float]
) -> Measurement:
    return Measurement(
        key="callback_ratio",
        title="callback→reply (messages/s)",
        value=project.per_second / baseline.per_second,
        goal=GOAL,
        project=f"{project.per_second:,.0f}/s p99 {project.latency().p99:,.0f} ms",
        baseline=f"{baseline.per_second:,.0f}/s p99 {baseline.latency().p99:,.0f} ms",
        raw={
            "senders": sizes.senders,
            "messages": sizes.messages,
            **project.raw("project"),
            **baseline.raw("baseline"),
            **stages,
        },
    )


def _settings(workdir: Path, wecom: WeComApp) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'callback.db'}",
        data_dir=workdir / "callback-data",
        http_host=HOST,
        **wecom.settings(),
    )


# --- the servers under test -----------------------------------------------------------------

# Given the fake WeCom's API base, serves until the block ends and yields the base URL.
Server = Callable[[str], AbstractAsyncContextManager[str]]


async def seed(url: str, sizes: Sizes) -> None:
    """Items with ample stock (no sale waits for approval) and one clerk per sender."""
    engine = create_engine(url)
    try:
        await storage.upgrade(engine)
        uow = UnitOfWork(create_sessionmaker(engine), settings=Settings())
        await in_transaction(uow, lambda u: _staff_and_items(u, sizes))
        stock = tuple(Line(f"C{n:02d}", Decimal(1_000_000)) for n in range(ITEMS))
        receipt = Receive(warehouse="MAIN", actor="bench-owner", lines=stock)
        await in_transaction(uow, lambda u: ledger.submit(u, receipt, enforce_policy=False))
    finally:
        await engine.dispose()


async def _staff_and_items(uow: UnitOfWork, sizes: Sizes) -> None:
    uow.session.add_all(
        Item(sku=f"C{n:02d}", name=item_name(n), unit="个", price=Decimal("5.5"), cost=Decimal(3))
        for n in range(ITEMS)
    )
    await catalog.save_user(uow, "bench-owner", "bench-owner", "老板", "admin", ["MAIN"])
    queriers = map(querier_id, range(QUERIERS))
    for userid in [WARMUP_USER, *queriers, *map(sender_id, range(sizes.senders))]:
        await catalog.save_user(uow, "bench-owner", userid, "店员", "clerk", ["MAIN"])


def project_server(settings: Settings) -> Server:
    @asynccontextmanager
    async def serve(api_base: str) -> AsyncIterator[str]:
        app = create_app(settings.model_copy(update={"wecom_api_base": api_base}))
        async with listening(app) as url:
            yield url

    return serve


def bare_server(wecom: WeComApp) -> Server:
    crypto = WeChatCrypto(wecom.token, wecom.aes_key, wecom.corp_id)

    async def receive(request: web.Request) -> web.Response:
        query = request.query
        xml = crypto.decrypt_message(
            await request.text(), query["msg_signature"], query["timestamp"], query["nonce"]
        )
        parse_message(xml)
        return web.Response(text="")

    @asynccontextmanager
    async def serve(_api_base: str) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post(PATH, receive)
        async with listening(app) as url:
            yield url

    return serve


@asynccontextmanager
async def listening(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, 0).start()
        yield f"http://{HOST}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _stages(url: str) -> dict[str, float]:
    """Median milliseconds from the stored callback to its handling, and on to the reply's send.

    Read from the rows the bot keeps anyway: each sender's messages and replies pair up in
    order, one reply per message. A message that was not handled fails the benchmark: a reply
    saying "系统繁忙" is a reply, but not the work being measured.
    """
    received, sent = await _inbox_and_outbox(url)
    replies: dict[str, list[datetime | None]] = {}
    for user, sent_at in sent:
        replies.setdefault(user, []).append(sent_at)
    to_handled, to_sent = [], []
    for user, rows in received.items():
        for (status, at, done), sent_at in zip(rows, replies.pop(user, []), strict=True):
            if status != inbox.DONE or done is None or sent_at is None:
                raise AssertionError(f"a message of {user} was not handled or not answered")
            to_handled.append((done - at).total_seconds() * 1000)
            to_sent.append((sent_at - done).total_seconds() * 1000)
    if replies:
        raise AssertionError(f"replies nobody asked for: {sorted(replies)}")
    return {
        "project_stored_to_handled_p50_ms": round(statistics.median(to_handled), 2),
        "project_handled_to_sent_p50_ms": round(statistics.median(to_sent), 2),
    }


Received = dict[str, list[tuple[str, datetime, datetime | None]]]


async def _inbox_and_outbox(url: str) -> tuple[Received, list[Any]]:
    """Each user's inbox rows (status, received, processed), and every reply's target and send."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(
                    InboxMessage.from_user,
                    InboxMessage.status,
                    InboxMessage.received_at,
                    InboxMessage.processed_at,
                ).order_by(InboxMessage.id)
            )
            sent = await session.execute(
                select(OutboxMessage.target, OutboxMessage.sent_at).order_by(OutboxMessage.id)
            )
            received: Received = {}
            for user, status, at, done in rows:
                received.setdefault(user, []).append((status, at, done))
            return received, list(sent)
    finally:
        await engine.dispose()


# --- driving a server from the child process --------------------------------------------------


async def drive(plan: Plan, serve: Server) -> Run:
    """Start the child playing WeCom, serve while it chats, and return what it measured."""
    order = json.dumps(asdict(plan))
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, order, cwd=ROOT, stdin=PIPE, stdout=PIPE, limit=CHILD_LINE
    )  # fmt: skip
    assert child.stdin is not None
    try:
        api_base = (await _answer(child, CHILD_START_TIMEOUT_S))["api_base"]
        async with serve(api_base) as url:
            child.stdin.write(f"{url}{PATH}\n".encode())
            await child.stdin.drain()
            answer = await _answer(child, plan.longest_s())
            return _checked(Run.from_json(answer["run"]), plan)
    finally:
        await _reap(child)


async def _answer(child: Process, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
    """The child's next line: what it measured, or the exception that ended it, raised here."""
    assert child.stdout is not None
    async with asyncio.timeout(timeout):
        line = await child.stdout.readline()
    if not line:
        raise RuntimeError(f"the WeCom child ended without an answer ({await child.wait()})")
    answer: dict[str, Any] = json.loads(line)
    if "error" in answer:
        raise RuntimeError(f"the WeCom child failed: {answer['error']}")
    return answer


async def _reap(child: Process) -> None:
    """Let the child end (EOF on its stdin ends one still waiting for the URL), or kill it."""
    if child.stdin is not None:
        child.stdin.close()
    try:
        async with asyncio.timeout(CHILD_START_TIMEOUT_S):
            await child.wait()
    except TimeoutError:
        child.kill()
        await child.wait()


def _checked(run: Run, plan: Plan) -> Run:
    expected = plan.expected()
    if len(run.latencies_s) != expected or not math.isfinite(run.per_second):
        raise AssertionError(f"{len(run.latencies_s)} of {expected} messages measured")
    return run


def play_wecom(order: str) -> None:
    """The child's entry point: WeCom's side; one JSON line with the ``Run`` or the error."""
    try:
        run = asyncio.run(_play(Plan.from_json(json.loads(order))))
        _tell_parent({"run": asdict(run)})
    except Exception as error:  # the parent raises it: a lost reply must fail the run
        _tell_parent({"error": f"{error!r}\n{traceback.format_exc()}"})


def _tell_parent(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _play(plan: Plan) -> Run:
    wecom, accepted = plan.wecom, Replies()
    fake = _WatchedWeCom(accepted, wecom.corp_id, wecom.secret, wecom.agent_id)
    awaits_replies = plan.reply_timeout_s is not None
    _tell_parent({"api_base": await fake.start(HOST) if awaits_replies else ""})
    try:
        url = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if not url:
            raise RuntimeError("the parent closed the pipe before serving")
        connector = aiohttp.TCPConnector(limit=0)  # one connection per sender, as WeCom's fleet
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            chat = _Chat(http, url, plan, accepted if awaits_replies else None)
            await chat.converse(WARMUP_USER, ["查 商品00", "销售 商品00 1"])
            if plan.script == QUERY:
                return await chat.query_under_load(plan)
            return await chat.run_senders(plan.sizes, burst=plan.script == BURST)
    finally:
        await fake.stop()


class Replies:
    """Counts the replies WeCom has accepted per user, and wakes whoever waits for one."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}  # when each reply came, per user
        self._events: dict[str, asyncio.Event] = {}

    def received(self, users: Sequence[str]) -> None:
        now = time.perf_counter()
        for user in users:
            self.counts[user] += 1
            self.times.setdefault(user, []).append(now)
            self._events.setdefault(user, asyncio.Event()).set()

    async def wait(self, user: str, count: int) -> None:
        event = self._events.setdefault(user, asyncio.Event())
        while self.counts[user] < count:
            event.clear()
            await event.wait()


class _WatchedWeCom(FakeWeCom):
    """The fake WeCom, telling ``Replies`` of every accepted ``message/send`` as it answers."""

    def __init__(self, replies: Replies, *args: Any) -> None:
        super().__init__(*args)
        self._replies = replies

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.middlewares.append(_reply_watcher(self._replies))
        return app


def _reply_watcher(replies: Replies) -> Middleware:
    @web.middleware
    async def watch(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.path.endswith("/message/send") and isinstance(response, web.Response):
            answer = json.loads(response.body or b"{}")  # type: ignore[arg-type]
            if answer.get("errcode") == 0:
                sent = await request.json()  # the handler read the body: aiohttp kept it
                replies.received(str(sent.get("touser", "")).split("|"))
        return response

    return watch


class _Chat:
    """WeCom's side of the conversations: sealed callbacks out, replies awaited."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        plan: Plan,
        replies: Replies | None,
    ) -> None:
        wecom = plan.wecom
        self._http = http
        self._url = url
        self._crypto = CallbackCrypto(wecom.token, wecom.aes_key, wecom.corp_id)
        self._agent_id = wecom.agent_id
        self._reply_timeout_s = plan.reply_timeout_s
        self._replies = replies
        # Fresh ids for each child: a second run on the same database is not WeCom's retry.
        first = secrets.randbelow(10**17) + 10**12
        self._msg_ids = iter(range(first, first + 10**12))

    async def run_senders(self, sizes: Sizes, *, burst: bool = False) -> Run:
        started = time.perf_counter()
        talk = self.burst if burst else self.converse
        timings = await asyncio.gather(
            *(talk(sender_id(s), _script(s, sizes)) for s in range(sizes.senders))
        )
        elapsed = time.perf_counter() - started
        await self._check_replies(
            {sender_id(s): len(_script(s, sizes)) for s in range(sizes.senders)}
        )
        return Run(
            elapsed,
            tuple(t for sender in timings for t, _ack in sender),
            tuple(a for sender in timings for _t, a in sender),
        )

    async def burst(self, user: str, texts: list[str]) -> list[tuple[float, float]]:
        """Send every text back to back; per text, seconds until its reply and until the 200.

        The bot answers one user's messages in order and sends one user's replies in order
        (``core.messaging.outbox``), so the n-th reply is the n-th text's.
        """
        sent = []
        for text in texts:
            started = time.perf_counter()
            await self._post(user, text)
            sent.append((started, time.perf_counter()))
        if self._replies is None:
            return [(acked - started, acked - started) for started, acked in sent]
        async with asyncio.timeout(self._reply_timeout_s):
            await self._replies.wait(user, len(texts))
        replied = self._replies.times[user][: len(texts)]
        return [(r - s, a - s) for r, (s, a) in zip(replied, sent, strict=True)]

    async def query_under_load(self, plan: Plan) -> Run:
        """The ``QUERY`` script: the stock queries' timings, and the sales posted meanwhile."""
        done, warm = asyncio.Event(), asyncio.Event()
        posted: Counter[str] = Counter()
        clerks = plan.sizes.senders
        answered = 0

        async def post_sales(clerk: int) -> bool:
            nonlocal answered
            for k in range(plan.identities):
                user = sender_id(clerk + k * clerks)
                for n in range(1, PER_IDENTITY + 1):
                    if done.is_set():
                        return True
                    posted[user] = n
                    await self.converse(user, [f"销售 {item_name(clerk)} 1"], first=n)
                    answered += 1
                    if answered >= clerks * WARMUP_SALES_PER_CLERK:
                        warm.set()
            return done.is_set()

        async def ask() -> list[tuple[float, float]]:
            timings = []
            for n in range(plan.queries):
                user = querier_id(n % QUERIERS)
                asked[user] += 1
                timings += await self.converse(user, [f"查 {item_name(n)}"], first=asked[user])
            done.set()
            return timings

        asked: Counter[str] = Counter()
        started = time.perf_counter()
        posting = [asyncio.create_task(post_sales(c)) for c in range(clerks)]
        if clerks:
            # The queries start once the sales are flowing, not while the clerks start up.
            await warm.wait()
        timings = await ask()
        elapsed = time.perf_counter() - started
        outlasted = all(await asyncio.gather(*posting))
        await self._check_replies({**posted, **asked})
        return Run(
            elapsed,
            tuple(t for t, _ack in timings),
            tuple(a for _t, a in timings),
            load_messages=sum(posted.values()),
            load_outlasted=outlasted,
        )

    async def converse(
        self, user: str, texts: list[str], first: int = 1
    ) -> list[tuple[float, float]]:
        """Say each text in turn; per text, seconds until its reply and until the 200.

        ``first``: the number of the user's reply the first text waits for.
        """
        timings = []
        for n, text in enumerate(texts, start=first):
            started = time.perf_counter()
            await self._post(user, text)
            acked = time.perf_counter()
            if self._replies is not None:
                async with asyncio.timeout(self._reply_timeout_s):
                    await self._replies.wait(user, n)
            timings.append((time.perf_counter() - started, acked - started))
        return timings

    async def _post(self, user: str, text: str) -> None:
        """Post ``text`` as ``user``; a passive reply in the 200 counts as the reply."""
        query, body = self._seal(user, text)
        async with self._http.post(self._url, params=query, data=body) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{user}: {text!r} answered {answer.status}")
            passive = await answer.read()
        if passive:
            reply = PassiveText.from_xml(self._crypto.open_reply(passive))
            if reply.to_user != user or not reply.content:
                raise AssertionError(f"{user}: {text!r} got a passive reply for {reply.to_user}")
            if self._replies is not None:
                self._replies.received([user])

    def _seal(self, user: str, text: str) -> tuple[dict[str, str], bytes]:
        now = int(time.time())
        message = TextMessage(user, now, str(next(self._msg_ids)), text, self._agent_id)
        xml = message_xml(message, self._crypto.corp_id)
        sealed = self._crypto.encrypt_message(xml, nonce=str(next(self._msg_ids)), timestamp=now)
        return sealed.query, sealed.body.encode("utf-8")

    async def _check_replies(self, expected: dict[str, int]) -> None:
        """Exactly one reply per message, also a while after the last: a doubled send fails."""
        if self._replies is None:
            return
        await asyncio.sleep(SETTLE_S)
        counts = self._replies.counts
        wrong = {user: counts[user] for user, count in expected.items() if counts[user] != count}
        if wrong:
            shown = {user: f"{wrong[user]} of {expected[user]}" for user in sorted(wrong)}
            raise AssertionError(f"replies per sender (received of expected): {shown}")


def _script(sender: int, sizes: Sizes) -> list[str]:
    return [chat_text(sender, n) for n in range(sizes.messages_per_sender)]
