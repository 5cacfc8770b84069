"""The sandbox's routes over HTTP, as the chat page uses them: say, click, run a rule, listen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.demo_data import BARCODES, PURCHASING_CHAT, STORE_CHAT
from bot.sandbox.runner import running_sandbox
from bot.sandbox.state import Sandbox
from notifications.registry import RULES
from tests.support.bot_harness import FAST
from tests.support.sandbox import Event, EventStream, seeded_copy, settings_for


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return seeded_copy(tmp_path_factory, tmp_path / "data")


@pytest.fixture
async def sandbox(data_dir: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> int:
    async with http.post(url, json=body) as answer:
        return answer.status


def said(chat: str, kind: str, sender: str = "bot") -> Callable[[Event], bool]:
    return lambda e: e["chat"] == chat and e["kind"] == kind and e["sender"] == sender


async def rule_alert(
    sandbox: Sandbox, http: aiohttp.ClientSession, rule: str, wanted: Callable[[Event], bool]
) -> tuple[dict[str, Any], Event]:
    """Press a rule's button on the page: its run report, and the first event ``wanted``."""
    async with EventStream(http, sandbox.url) as stream:
        async with http.post(sandbox.url + f"sandbox/rules/{rule}") as answer:
            report: dict[str, Any] = await answer.json()
        return report, await stream.next(wanted)


async def test_page_and_config_are_served(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.url) as page:
        assert page.status == 200
        assert "JXC Bot 沙盒" in await page.text()
    async with http.get(sandbox.url + "sandbox/static/app.js") as script:
        assert script.status == 200
    async with http.get(sandbox.url + "sandbox/config") as answer:
        config = await answer.json()
    assert [p["name"] for p in config["staff"]] == ["小王", "小张", "李姐", "老板", "审计"]
    assert [g["chat"] for g in config["groups"]] == [
        f"group:{STORE_CHAT}",
        f"group:{PURCHASING_CHAT}",
    ]
    assert [r["name"] for r in config["rules"]] == list(RULES)


async def test_said_text_goes_through_the_callback_and_the_reply_streams_back(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with EventStream(http, sandbox.url) as stream:
        assert (
            await post(http, sandbox.url + "sandbox/say", {"userid": "xiaowang", "text": "查 可乐"})
            == 200
        )
        mine = await stream.next(said("user:xiaowang", "text", "me"))
        reply = await stream.next(said("user:xiaowang", "text"))
    assert mine["body"]["content"] == "查 可乐"
    assert "可乐（COKE）售价 ¥3.50" in reply["body"]["content"]
    assert mine["id"] < reply["id"]
    # 查 is the read lane's: the reply is the callback's passive reply, shown like a send.
    assert sandbox.fake.passive_replies(), "the reply came back in the callback's response"


async def test_click_on_the_approval_card_updates_it_for_every_approver(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    say = sandbox.url + "sandbox/say"
    async with EventStream(http, sandbox.url) as stream:
        assert await post(http, say, {"userid": "xiaowang", "text": "调价 可乐 3.8"}) == 200
        card = (await stream.next(said("user:lijie", "card")))["body"]
        approve = next(b["key"] for b in card["buttons"] if b["text"] == "批准")
        click = {"userid": "lijie", "task_id": card["task_id"], "key": approve}
        assert await post(http, sandbox.url + "sandbox/click", click) == 200
        updates = [await stream.next(said(f"user:{u}", "card_update")) for u in ("lijie", "laoban")]
        told = await stream.next(lambda e: "已批准" in e["body"].get("content", ""))
    assert card["title"].startswith("调价审批")
    assert [u["body"] for u in updates] == [
        {"task_id": card["task_id"], "replace_name": "已批准·李姐"}
    ] * 2
    assert told["chat"] == "user:xiaowang"


async def test_the_menu_is_shown_and_a_scan_goes_in_as_a_signed_scan_event(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with http.get(sandbox.url + "sandbox/config") as answer:
        config = await answer.json()
    scans = config["menu"]["button"][0]["sub_button"]
    assert [b["name"] for b in scans] == ["扫码查询", "扫码拣货", "扫码收货", "扫码盘点"]
    cola = BARCODES[0][1]
    assert {"code": cola, "label": "可乐 1 瓶"} in config["scan_codes"]
    async with EventStream(http, sandbox.url) as stream:
        body = {"userid": "xiaowang", "key": "scan_query", "code": cola}
        assert await post(http, sandbox.url + "sandbox/scan", body) == 200
        mine = await stream.next(said("user:xiaowang", "scan", "me"))
        reply = await stream.next(said("user:xiaowang", "text"))
    assert mine["body"] == {"text": "扫码查询", "code": cola}
    assert "可乐（COKE）" in reply["body"]["content"]


async def test_rule_button_runs_the_rule_and_its_alert_reaches_the_group(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    report, alert = await rule_alert(
        sandbox, http, "low-stock", said(f"group:{PURCHASING_CHAT}", "markdown")
    )
    assert report["rule"] == "low-stock" and report["messages"] >= 1
    assert "低库存提醒" in alert["body"]["content"]


async def test_a_page_from_an_earlier_run_is_told_to_start_over(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with EventStream(http, sandbox.url, last_id="0ld3p0ch.41") as stream:
        assert (
            await post(http, sandbox.url + "sandbox/say", {"userid": "lijie", "text": "帮助"})
            == 200
        )
        await stream.next(said("user:lijie", "text"))
    assert stream.signals == ["reset"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("sandbox/say", {"userid": "stranger", "text": "帮助"}, 400),
        ("sandbox/say", {"userid": "xiaowang", "text": "  "}, 400),
        ("sandbox/click", {"userid": "lijie", "task_id": "nope", "key": "approve:X"}, 409),
        ("sandbox/rules/no-such-rule", {}, 404),
        ("sandbox/scan", {"userid": "xiaowang", "key": "no_such_button", "code": "1"}, 409),
        ("sandbox/scan", {"userid": "xiaowang", "key": "scan_query", "code": " "}, 400),
        ("sandbox/menu", {"userid": "xiaowang", "key": "scan_query"}, 409),
    ],
)
async def test_requests_the_page_never_sends_are_refused(
    sandbox: Sandbox, http: aiohttp.ClientSession, path: str, body: dict[str, Any], status: int
) -> None:
    assert await post(http, sandbox.url + path, body) == status
    assert not sandbox.log.events


async def test_expiry_rule_gives_the_group_a_note_and_the_manager_a_card_whose_writeoff_acts(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with EventStream(http, sandbox.url) as stream:
        async with http.post(sandbox.url + "sandbox/rules/expiry") as answer:
            assert answer.status == 200
        note = await stream.next(said(f"group:{STORE_CHAT}", "markdown"))
        await stream.next(said(f"group:{STORE_CHAT}", "file"))
        card = (await stream.next(said("user:lijie", "card")))["body"]
        assert "操作卡片已单独发给" in note["body"]["content"] and "李姐" in note["body"]["content"]
        writeoff = next(b["key"] for b in card["buttons"] if b["text"] == "报损")
        click = {"userid": "lijie", "task_id": card["task_id"], "key": writeoff}
        assert await post(http, sandbox.url + "sandbox/click", click) == 200
        reply = await stream.next(said("user:lijie", "text"))
    assert card["title"].startswith("临期/过期")
    assert "已按提醒卡片报损" in reply["body"]["content"]
    assert "BS-" in reply["body"]["content"] or "SP-" in reply["body"]["content"]


async def test_anomaly_rule_names_the_demo_clerk_who_fakes_and_reverses_sales(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """The walkthrough's 负销售异常: the demo history is long enough for the detector to learn."""

    def to_manager(event: Event) -> bool:
        return bool(event["chat"] == "user:lijie" and event["sender"] == "bot")

    report, alert = await rule_alert(sandbox, http, "anomaly", to_manager)
    assert report["rule"] == "anomaly" and report["messages"] >= 1, report
    assert "小张" in str(alert["body"]) and "小王" not in str(alert["body"])
