"""The load benchmarks drive `jxc serve`, report their figures, fail on a lost or doubled reply."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto

from benchmarks import callback, load
from benchmarks.runner import BenchEnv
from benchmarks.wecom_app import WeComApp
from core.storage import OutboxMessage, create_engine, create_sessionmaker

TINY_BURST = callback.Sizes(senders=4, messages_per_sender=3)
TINY_QUERY = load.QuerySizes(clerks=2, queries=4, identities_per_clerk=1)


async def test_the_burst_benchmark_answers_every_message_once_through_jxc_serve(
    tmp_path: Path,
) -> None:
    env = BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=None)
    burst = await load.measure_burst(env, TINY_BURST)

    assert burst.key == "load_reply_p99_ratio" and str(burst.goal) == "<= 10"
    raw = burst.raw
    assert raw["server"] == "jxc serve" and raw["messages"] == TINY_BURST.messages
    assert 0 < raw["project_p50_ms"] <= raw["project_p99_ms"]
    assert 0 < raw["baseline_ack_p50_ms"] <= raw["baseline_ack_p99_ms"]
    assert math.isclose(
        burst.value, raw["project_p99_ms"] / raw["baseline_ack_p99_ms"], rel_tol=0.01
    )
    for stage in ("stored_to_handled", "handled_to_sent"):
        assert 0 <= raw[f"{stage}_p50_ms"] <= raw[f"{stage}_p99_ms"]
    # Every reply reached WeCom exactly once, as the server's own rows say too.
    senders = [callback.sender_id(s) for s in range(TINY_BURST.senders)]
    sent = await _replies_sent(tmp_path / "burst" / "jxc.db", senders)
    assert sent == dict.fromkeys(senders, TINY_BURST.messages_per_sender)


async def test_the_query_benchmark_compares_queries_under_load_with_idle_ones(
    tmp_path: Path,
) -> None:
    env = BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=None)
    query = await load.measure_query(env, TINY_QUERY)

    assert query.key == "query_under_load_ratio" and str(query.goal) == "<= 2"
    raw = query.raw
    assert raw["queries"] == TINY_QUERY.queries and raw["sales_meanwhile"] > 0
    assert math.isclose(query.value, raw["busy_p99_ms"] / raw["idle_p99_ms"], rel_tol=0.01)
    for run in ("idle", "busy"):
        assert 0 < raw[f"{run}_p50_ms"] <= raw[f"{run}_p99_ms"]
        assert 0 <= raw[f"{run}_stored_to_handled_p50_ms"] <= raw[f"{run}_stored_to_handled_p99_ms"]
    queriers = [callback.querier_id(n) for n in range(TINY_QUERY.queries)]
    sent = await _replies_sent(tmp_path / "query" / "jxc.db", queriers)
    assert sent == dict.fromkeys(queriers, 2)  # one query each, idle and busy


async def _replies_sent(db: Path, users: list[str]) -> dict[str, int]:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(OutboxMessage.target, func.count())
                .where(OutboxMessage.target.in_(users), OutboxMessage.sent_at.is_not(None))
                .group_by(OutboxMessage.target)
            )
            return {target: count for target, count in rows}
    finally:
        await engine.dispose()


def answering_twice(wecom: WeComApp) -> callback.Server:
    """A server that sends every message's reply twice through ``message/send``."""
    crypto = WeChatCrypto(wecom.token, wecom.aes_key, wecom.corp_id)

    @asynccontextmanager
    async def serve(api_base: str) -> AsyncIterator[str]:
        async with aiohttp.ClientSession() as http:
            params = {"corpid": wecom.corp_id, "corpsecret": wecom.secret}
            async with http.get(f"{api_base}gettoken", params=params) as answer:
                token = (await answer.json())["access_token"]

            async def receive(request: web.Request) -> web.Response:
                q = request.query
                xml = crypto.decrypt_message(
                    await request.text(), q["msg_signature"], q["timestamp"], q["nonce"]
                )
                reply = {
                    "touser": parse_message(xml).source,
                    "msgtype": "text",
                    "agentid": wecom.agent_id,
                    "text": {"content": "好"},
                }
                for _ in range(2):
                    url = f"{api_base}message/send"
                    async with http.post(url, params={"access_token": token}, json=reply):
                        pass
                return web.Response(text="")

            app = web.Application()
            app.router.add_post(callback.PATH, receive)
            async with callback.listening(app) as url:
                yield url

    return serve


async def test_a_doubled_reply_fails_the_burst() -> None:
    wecom = WeComApp.generate()
    plan = callback.Plan(TINY_BURST, wecom, reply_timeout_s=30, script=callback.BURST)
    with pytest.raises(RuntimeError, match="replies per sender"):
        await callback.drive(plan, answering_twice(wecom))


async def test_a_missing_reply_fails_the_query_run() -> None:
    # The bare handler answers 200 but stores nothing, so no query is ever answered.
    wecom = WeComApp.generate()
    plan = callback.Plan(
        callback.Sizes(0, 1), wecom, reply_timeout_s=0.5, script=callback.QUERY, queries=2
    )
    with pytest.raises(RuntimeError, match="TimeoutError"):
        await callback.drive(plan, callback.bare_server(wecom))
