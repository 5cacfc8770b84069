"""Replies under load, through a real ``jxc serve``: the whole shop chatting at once, and ``查``
at peak hour.

``load_reply_p99_ratio``: every sender sends all its messages back to back, each as soon as
the previous callback got its 200 (as WeCom delivers a busy shop's chat), with the fake WeCom
receiving the replies. The figure is the p99 from posting a message's callback to its reply
reaching WeCom, against the p99 of the bare crypto handler's 200 under the same burst. A
missing or doubled reply fails the run.

``query_under_load_ratio``: ``查`` one query after another (each awaiting its reply) while the
clerks post sales as fast as the bot answers them (each awaiting its reply, as a person does
before typing the next), against the same queries on the idle server.

The server under test is ``jxc serve`` in its own process, configured by ``JXC_*`` variables
as an operator runs it (its access log, JSON logs and alert scheduler included); the child
playing WeCom is the callback benchmark's (``benchmarks.callback``), the bare handler its too.
Where the time goes is read back from the inbox and outbox rows: stored → handled (waiting for
and doing the work) and handled → sent (the reply's delivery); a passive reply (the read lane)
is stored handled and sent at once, so it counts 0 in both, and ``passive_replies`` says how
many there were.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from benchmarks import callback, rss
from benchmarks.callback import BURST, PER_IDENTITY, QUERY, Plan, Run, Server, Sizes
from benchmarks.latency import Latency
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from benchmarks.wecom_app import WeComApp
from core.messaging import outbox
from core.storage import InboxMessage, OutboxMessage, create_engine, create_sessionmaker

BURST_GOAL = Goal("<=", 10)
QUERY_GOAL = Goal("<=", 2)
BASELINE_RUNS = 3
# The burst's last replies wait for every message before them: allow the whole drain.
BURST_REPLY_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 30


@dataclass(frozen=True)
class QuerySizes:
    clerks: int
    queries: int
    # Each clerk posts PER_IDENTITY sales as each of this many members in turn: enough that
    # they are still posting when the last query is answered (the result says if they were).
    identities_per_clerk: int = 12


BURST_FULL = Sizes(senders=200, messages_per_sender=10)
BURST_QUICK = Sizes(senders=40, messages_per_sender=3)
QUERY_FULL = QuerySizes(clerks=50, queries=100)  # 100 samples: p99 is the second slowest
QUERY_QUICK = QuerySizes(clerks=10, queries=20)


async def measure(
    env: BenchEnv, burst: Sizes | None = None, query: QuerySizes | None = None
) -> list[Measurement]:
    burst = burst or (BURST_QUICK if env.quick else BURST_FULL)
    query = query or (QUERY_QUICK if env.quick else QUERY_FULL)
    return [await measure_burst(env, burst), await measure_query(env, query)]


async def measure_burst(env: BenchEnv, sizes: Sizes) -> Measurement:
    wecom = WeComApp.generate()
    db = await _seeded(env.workdir / "burst", sizes)
    env.log(f"burst: {sizes.messages} messages from {sizes.senders} senders, jxc serve")
    plan = Plan(sizes, wecom, BURST_REPLY_TIMEOUT_S, script=BURST)
    project = await callback.drive(plan, jxc_serve(db, wecom))
    senders = [callback.sender_id(s) for s in range(sizes.senders)]
    stages = await stage_percentiles(_url(db), senders)
    env.log("burst: the bare crypto handler")
    # The median of three by their p99: one stall of this busy machine swings a single run.
    bare = Plan(sizes, wecom, None, script=BURST)
    runs = [await callback.drive(bare, callback.bare_server(wecom)) for _ in range(BASELINE_RUNS)]
    baseline = sorted(runs, key=lambda run: run.ack_latency().p99)[BASELINE_RUNS // 2]
    reply, ack = project.latency(), baseline.ack_latency()
    return Measurement(
        key="load_reply_p99_ratio",
        title="burst: reply p99 / bare 200 p99",
        value=reply.p99 / ack.p99,
        goal=BURST_GOAL,
        project=_text(reply),
        baseline=f"200 {_text(ack)}",
        raw={
            "senders": sizes.senders,
            "messages": sizes.messages,
            "server": "jxc serve",
            **project.raw("project"),
            **baseline.raw("baseline"),
            **stages,
        },
    )


async def measure_query(env: BenchEnv, sizes: QuerySizes) -> Measurement:
    wecom = WeComApp.generate()
    identities = sizes.clerks * sizes.identities_per_clerk
    db = await _seeded(env.workdir / "query", Sizes(identities, 1))
    server = jxc_serve(db, wecom)
    queriers = [callback.querier_id(n) for n in range(callback.QUERIERS)]
    env.log(f"查 under load: {sizes.queries} queries on the idle jxc serve")
    idle = await callback.drive(_query_plan(wecom, Sizes(0, 1), sizes, 1), server)
    idle_stages = await stage_percentiles(_url(db), queriers)
    env.log(f"查 under load: {sizes.queries} queries while {sizes.clerks} clerks post")
    load = Sizes(sizes.clerks, PER_IDENTITY)
    busy = await callback.drive(_query_plan(wecom, load, sizes, sizes.identities_per_clerk), server)
    # Both runs' queries are in the rows now: the busy run's are the later ones of each querier.
    busy_stages = await stage_percentiles(_url(db), queriers, skip=_per_querier(sizes.queries))
    if not busy.load_outlasted:
        env.log("查 under load: the clerks ran out of sales before the last query")
    return _query_measurement(sizes, idle, busy, {**_prefixed("idle", idle_stages),
                                                  **_prefixed("busy", busy_stages)})  # fmt: skip


def _query_plan(wecom: WeComApp, load: Sizes, sizes: QuerySizes, identities: int) -> Plan:
    return Plan(
        load,
        wecom,
        callback.REPLY_TIMEOUT_S,
        script=QUERY,
        queries=sizes.queries,
        identities=identities,
    )


def _per_querier(queries: int) -> dict[str, int]:
    """How many queries each querier identity asks in one run (they take turns)."""
    counts = dict.fromkeys(map(callback.querier_id, range(callback.QUERIERS)), 0)
    for n in range(queries):
        counts[callback.querier_id(n % callback.QUERIERS)] += 1
    return counts


def _query_measurement(
    sizes: QuerySizes, idle: Run, busy: Run, stages: dict[str, float]
) -> Measurement:
    idle_latency, busy_latency = idle.latency(), busy.latency()
    return Measurement(
        key="query_under_load_ratio",
        title=f"查 p99, {sizes.clerks} clerks posting / idle",
        value=busy_latency.p99 / idle_latency.p99,
        goal=QUERY_GOAL,
        project=_text(busy_latency),
        baseline=f"idle {_text(idle_latency)}",
        raw={
            "clerks": sizes.clerks,
            "queries": sizes.queries,
            "server": "jxc serve",
            **busy.raw("busy"),
            **idle.raw("idle"),
            "sales_meanwhile": busy.load_messages,
            "sales_per_s": round(busy.load_messages / busy.elapsed_s, 1),
            "clerks_outlasted_queries": busy.load_outlasted,
            **stages,
        },
    )


def _text(latency: Latency) -> str:
    return f"p50 {latency.p50:,.0f} p99 {latency.p99:,.0f} ms"


def _prefixed(prefix: str, figures: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}_{key}": value for key, value in figures.items()}


# --- the server under test ------------------------------------------------------------------


async def _seeded(folder: Path, sizes: Sizes) -> Path:
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    db = folder / "jxc.db"
    await callback.seed(_url(db), sizes)
    return db


def _url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


def jxc_serve(db: Path, wecom: WeComApp) -> Server:
    """``jxc serve`` on ``db`` in a process of its own, talking to the child's fake WeCom.

    Its log goes to ``serve.log`` beside the database; it must stop cleanly on SIGTERM (exit 0),
    or the run fails: a server that broke under the load measured nothing worth reporting.
    """

    @asynccontextmanager
    async def serve(api_base: str) -> AsyncIterator[str]:
        port = rss.free_port()
        with (db.parent / "serve.log").open("ab") as log:
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", cwd=rss.ROOT,
                env=rss.serve_env(db, port, api_base, wecom), stdout=log, stderr=log,
            )  # fmt: skip
            try:
                base = f"http://127.0.0.1:{port}"
                await rss.wait_until_healthy(f"{base}/healthz", server)
                yield base
            finally:
                if server.returncode is None:
                    server.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(server.wait(), STOP_TIMEOUT_S)
        if code != 0:
            raise RuntimeError(f"jxc serve exited with {code}: see {db.parent / 'serve.log'}")

    return serve


# --- where the time goes --------------------------------------------------------------------


async def stage_percentiles(
    url: str, users: Collection[str], skip: dict[str, int] | None = None
) -> dict[str, float]:
    """p50 and p99 milliseconds of ``users``' messages from stored to handled, and on to sent.

    A user's messages and replies pair up in order (one reply per message, sent in order);
    ``skip``: how many of each user's first messages to leave out (an earlier run's).
    """
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            received = await session.execute(
                select(InboxMessage.from_user, InboxMessage.received_at, InboxMessage.processed_at)
                .where(InboxMessage.from_user.in_(users))
                .order_by(InboxMessage.id)
            )
            sent = await session.execute(
                select(OutboxMessage.target, OutboxMessage.sent_at, OutboxMessage.response)
                .where(OutboxMessage.target.in_(users))
                .order_by(OutboxMessage.id)
            )
            messages: dict[str, list[tuple[datetime, datetime | None]]] = {}
            for user, at, done in received:
                messages.setdefault(user, []).append((at, done))
            replies: dict[str, list[tuple[datetime | None, bool]]] = {}
            for user, sent_at, response in sent:
                passive = response == outbox.PASSIVE_RESPONSE
                replies.setdefault(user, []).append((sent_at, passive))
    finally:
        await engine.dispose()
    to_handled, to_sent, passive_replies = [], [], 0
    for user, rows in messages.items():
        first = (skip or {}).get(user, 0)
        answers = replies.get(user, [])[first:]
        for (at, done), (sent_at, passive) in zip(rows[first:], answers, strict=True):
            if done is None or sent_at is None:
                raise AssertionError(f"a message of {user} was not handled or not answered")
            to_handled.append((done - at).total_seconds() * 1000)
            to_sent.append((sent_at - done).total_seconds() * 1000)
            passive_replies += passive
    handled, delivered = Latency(tuple(to_handled)), Latency(tuple(to_sent))
    return {
        # Answered in the callback's own response (stored and "sent" when the record committed).
        "passive_replies": passive_replies,
        "stored_to_handled_p50_ms": round(handled.p50, 2),
        "stored_to_handled_p99_ms": round(handled.p99, 2),
        "handled_to_sent_p50_ms": round(delivered.p50, 2),
        "handled_to_sent_p99_ms": round(delivered.p99, 2),
    }
