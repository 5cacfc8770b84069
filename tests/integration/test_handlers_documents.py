"""Transcripts of reading documents by chat: 单据 with filters, 下一页, one by number."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import archive as archiving
from core import ledger
from core.archive import ArchiveDatabase, archive_url
from core.ledger import Line, Receive
from core.storage import UnitOfWork, create_sessionmaker, in_transaction
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop

NUMBER = re.compile(r"^[A-Z]{2}-\d{8}-\d{4}", re.MULTILINE)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite, unless a test is parametrized with ``"pg_url"`` too."""
    return str(request.getfixturevalue(getattr(request, "param", "sqlite_url")))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data dir (where a SQLite ledger's archive goes) for the test and the app alike."""
    monkeypatch.setenv("JXC_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    return chat_factory(uow)


async def receive_many(uow: UnitOfWork, clock: ManualClock, count: int) -> None:
    """``count`` receipts in one transaction; every third shares its timestamp with the next."""

    async def work(uow: UnitOfWork) -> None:
        for n in range(count):
            if n % 3 == 0:
                clock.advance(seconds=1)
            line = Line("COKE", Decimal(1))
            await ledger.submit(uow, Receive(warehouse="MAIN", actor="clerk1", lines=(line,)))

    await in_transaction(uow, work)


async def test_sixty_documents_ten_a_page_reach_the_end_without_duplicates_or_gaps(
    chat: Chat, clock: ManualClock
) -> None:
    await receive_many(chat.uow, clock, 60)
    pages = [await chat.say("clerk1", "单据")]
    while "下一页" in pages[-1]:
        pages.append(await chat.say("clerk1", "下一页"))
    assert len(pages) == 6
    assert pages[0].startswith("单据 1-10（新的在前）")
    assert pages[-1].startswith("单据 51-60") and pages[-1].endswith("已经是最后一页")
    listed = [number for page in pages for number in NUMBER.findall(page)]
    assert listed == list(reversed(await chat.document_numbers()))
    assert (
        await chat.say("clerk1", "more")
        == "已经是最后一页（共 60 条），没有更多单据了。要重新查看请发送“单据”。"
    )


async def test_next_page_after_a_single_page_list_says_the_list_ended(
    chat: Chat, clock: ManualClock
) -> None:
    await receive_many(chat.uow, clock, 3)
    assert (await chat.say("clerk1", "单据")).endswith("已经是最后一页")
    reply = await chat.say("clerk1", "下一页")
    assert "已经是最后一页（共 3 条）" in reply and "已超过" not in reply
    clock.advance(minutes=10)
    assert "已超过 10 分钟" in await chat.say("clerk1", "下一页")


async def test_next_page_expires_after_ten_minutes(chat: Chat, clock: ManualClock) -> None:
    await receive_many(chat.uow, clock, 12)
    await chat.say("clerk1", "单据")
    clock.advance(minutes=10)
    assert "已超过 10 分钟" in await chat.say("clerk1", "下一页")


async def seed_week(chat: Chat, clock: ManualClock) -> None:
    """11-20: a sale to 李四; 11-25: a receipt; 11-26: a sale to 张三 and a pending one."""
    clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    await chat.say("clerk1", "入库 可乐 10")
    await chat.say("clerk1", "销售 可乐 1 客户 李四")
    clock.now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    await chat.say("clerk1", "入库 雪碧 5")
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    await chat.say("clerk1", "销售 可乐 2 客户 张三")
    await chat.say("clerk1", "销售 雪碧 9")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("单据 今天", ["XS-20261126-0002", "XS-20261126-0001"]),
        ("单据 昨天", ["RK-20261125-0001"]),
        ("单据 本周", ["XS-20261126-0002", "XS-20261126-0001", "RK-20261125-0001"]),
        ("单据 2026-11-01~2026-11-20", ["XS-20261120-0001", "RK-20261120-0001"]),
        ("单据 2026-11-25", ["RK-20261125-0001"]),
        ("单据 客户 张三", ["XS-20261126-0001"]),
        ("单据 状态 待审批", ["XS-20261126-0002"]),
        ("单据 本月 类型 入库", ["RK-20261125-0001", "RK-20261120-0001"]),
        ("docs 类型 销售 客户 李四", ["XS-20261120-0001"]),
        ("单据 仓库 main 状态 已过账 类型 sale", ["XS-20261126-0001", "XS-20261120-0001"]),
    ],
)
async def test_documents_filtered_by_period_customer_status_and_type(
    chat: Chat, clock: ManualClock, query: str, expected: list[str]
) -> None:
    await seed_week(chat, clock)
    reply = await chat.say("clerk1", query)
    assert NUMBER.findall(reply) == expected
    assert reply.endswith("已经是最后一页")


async def test_document_list_rows_show_type_status_time_total_and_customer(
    chat: Chat, clock: ManualClock
) -> None:
    await seed_week(chat, clock)
    reply = await chat.say("clerk1", "单据 客户 张三")
    assert "XS-20261126-0001 销售 已过账 11-26 10:00 ¥7.00 张三" in reply


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("单据 明天", "看不懂“明天”。时间可以写 今天、昨天、本周、本月 或 2026-11-01~2026-11-20"),
        ("单据 2026-11-20~2026-11-01", "结束日期早于开始日期"),
        ("单据 今天 昨天", "只能写一个时间范围"),
        ("单据 类型 咖啡", "类型“咖啡”不存在，可选：入库、销售、销售退货"),
        ("单据 状态 好", "状态“好”不存在，可选：待审批、已过账"),
        ("单据 仓库 B1", "你没有仓库 B1 的权限"),
        ("单据 仓库 X9", "没有代码为 X9 的仓库/门店"),
        ("单据 XS-20261126-0099", "没有编号为 XS-20261126-0099 的单据"),
    ],
)
async def test_bad_document_queries_are_explained(chat: Chat, query: str, expected: str) -> None:
    assert expected in await chat.say("clerk1", query)


async def test_empty_list_says_nothing_matches(chat: Chat) -> None:
    assert "没有符合条件的单据" in await chat.say("clerk1", "单据 今天")


async def test_one_document_by_number_with_lines_and_total(chat: Chat, clock: ManualClock) -> None:
    await seed_week(chat, clock)
    reply = await chat.say("clerk1", "单据 xs-20261126-0001")
    assert reply.splitlines() == [
        "销售单 XS-20261126-0001（MAIN）",
        "已过账，小王 11-26 10:00",
        "客户：张三",
        "可乐 2 瓶 × ¥3.50 = ¥7.00",
        "合计 ¥7.00",
    ]


async def test_documents_of_other_warehouses_stay_hidden_except_for_admin_and_auditor(
    chat: Chat, clock: ManualClock
) -> None:
    await seed_week(chat, clock)
    assert "你没有仓库 MAIN 的权限" in await chat.say("mgr2", "单据 XS-20261126-0001")
    assert "没有符合条件的单据" in await chat.say("mgr2", "单据")
    assert "XS-20261126-0001" in await chat.say("audit", "单据 XS-20261126-0001")
    assert "单据 1-5" in await chat.say("boss", "单据")


async def test_transfer_is_visible_in_the_receiving_warehouse(chat: Chat) -> None:
    await chat.say("boss", "入库 可乐 5")
    await chat.say("boss", "调拨 可乐 2 到 B1")
    assert "调拨单 DB-20261126-0001（MAIN → B1）" in await chat.say("mgr2", "单据 DB-20261126-0001")


@pytest.fixture
async def archived_chat(
    engine: AsyncEngine, clock: ManualClock, settings: Settings, chat_factory: ChatFactory
) -> AsyncIterator[Chat]:
    """A chat whose ledger can read the archive (where the app's settings put it)."""
    archive = ArchiveDatabase.open(archive_url(settings))
    uow = UnitOfWork(create_sessionmaker(engine), clock=clock, settings=settings, archive=archive)
    await seed_shop(uow)
    yield chat_factory(uow)
    await archive.dispose()


@pytest.mark.parametrize(
    "database_url", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.pg)], indirect=True
)
async def test_archived_document_is_still_shown_by_number_marked_archived(
    archived_chat: Chat, clock: ManualClock
) -> None:
    await seed_week(archived_chat, clock)
    archive = archived_chat.uow.archive
    assert archive is not None
    report = await archiving.archive_before(archived_chat.uow, archive, date(2026, 11, 21))
    assert report.documents == 2

    reply = await archived_chat.say("clerk1", "单据 XS-20261120-0001")

    assert reply.splitlines() == [
        "销售单 XS-20261120-0001（MAIN）【已归档】",
        "已过账，小王 11-20 10:00",
        "客户：李四",
        "可乐 1 瓶 × ¥3.50 = ¥3.50",
        "合计 ¥3.50",
    ]
    assert "【已归档】" not in await archived_chat.say("clerk1", "单据 XS-20261126-0001")
    assert "你没有仓库 MAIN 的权限" in await archived_chat.say("mgr2", "单据 XS-20261120-0001")
    assert "没有编号为 XS-20261119-0001 的单据" in await archived_chat.say(
        "clerk1", "单据 XS-20261119-0001"
    )
