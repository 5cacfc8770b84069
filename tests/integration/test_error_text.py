"""What is kept of a failed statement: its class and a short reason, never its parameters.

``inbox.error`` and ``outbox.last_error`` are listed by ``jxc outbox`` and read by operators;
chat text and webhook keys (a key is all it takes to post into a shop's group) stay out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox_worker import InboxWorker
from config import Settings
from core.messaging import outbox
from core.storage import (
    InboxMessage,
    OutboxMessage,
    UnitOfWork,
    create_sessionmaker,
    in_transaction,
)
from handlers.inbound import Inbound
from notifications.outbox_worker import DeliveryPolicy, DeliveryWorker
from tests.integration.test_inbox_worker import receive, running, wait_until_handled
from tests.support.clock import ManualClock

CHAT_TEXT = "销售 可乐 2 客户 张三的秘密"
WEBHOOK_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def new_uow(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> Callable[[], UnitOfWork]:
    sessions = create_sessionmaker(engine)
    return lambda: UnitOfWork(sessions, clock=clock, settings=settings)


async def twice_to_the_group(uow: UnitOfWork, message: Inbound) -> None:
    """A handler whose second insert breaks the outbox's unique key, with the text in it."""
    for _ in range(2):
        uow.session.add(
            OutboxMessage(
                channel="webhook",
                target=WEBHOOK_KEY,
                target_key=outbox.target_key("webhook", WEBHOOK_KEY),
                payload=outbox.text_payload(message.text),
                dedupe_key=f"group:{message.text}",
                created_at=uow.now(),
                next_attempt_at=uow.now(),
            )
        )
        await uow.session.flush()


async def test_a_failed_statement_leaves_neither_chat_text_nor_key_in_inbox_error_nor_params_in_log(
    new_uow: Callable[[], UnitOfWork], caplog: pytest.LogCaptureFixture
) -> None:
    await receive(new_uow, "clerk1", CHAT_TEXT)

    with caplog.at_level(logging.ERROR):
        async with running(InboxWorker(new_uow, twice_to_the_group, poll_interval=0.05)):
            await wait_until_handled(new_uow)

    async def error(uow: UnitOfWork) -> str | None:
        return await uow.session.scalar(select(InboxMessage.error))

    stored = await in_transaction(new_uow(), error)
    assert stored is not None and "IntegrityError" in stored
    assert len(stored) <= 210
    assert CHAT_TEXT not in stored and WEBHOOK_KEY not in stored
    # The log keeps the traceback, with the statement but not its parameters. (PostgreSQL's own
    # DETAIL line, in the driver's exception, still names the duplicated key's value.)
    logged = caplog.text
    assert "inbox_handler_failed" in logged and "parameters hidden" in logged
    assert WEBHOOK_KEY not in logged


class LoggingSender:
    """Keeps a delivery log in a table that is not there: every send fails on a statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def send(self, channel: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        async with self._engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO delivery_log (target, body) VALUES (:target, :body)"),
                {"target": target, "body": payload["text"]["content"]},
            )
        return {"errcode": 0}


async def test_a_send_failing_on_a_statement_keeps_neither_key_nor_text_in_last_error(
    new_uow: Callable[[], UnitOfWork], engine: AsyncEngine, clock: ManualClock
) -> None:
    async def enqueue(uow: UnitOfWork) -> None:
        await outbox.enqueue(uow, "webhook", WEBHOOK_KEY, outbox.text_payload(CHAT_TEXT))

    await in_transaction(new_uow(), enqueue)
    delivery = DeliveryWorker(new_uow, LoggingSender(engine), clock, DeliveryPolicy())

    assert await delivery.deliver_due() == 1

    async def last_error(uow: UnitOfWork) -> str | None:
        return await uow.session.scalar(select(OutboxMessage.last_error))

    stored = await in_transaction(new_uow(), last_error)
    assert stored is not None
    assert stored.startswith("ProgrammingError") or stored.startswith("OperationalError")
    assert WEBHOOK_KEY not in stored and CHAT_TEXT not in stored
