"""Transcript-style handler tests: ``await chat.say("clerk1", "入库 可乐 24")`` → the reply.

Each message is handled by ``handlers.dispatch.handle`` in its own committed transaction,
as the inbox worker does; the reply is read back from the outbox rows that transaction wrote.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from core import catalog
from core.storage import Document, OutboxMessage, UnitOfWork, in_transaction
from handlers.dispatch import handle
from handlers.inbound import Inbound

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"


class Chat:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._ids = itertools.count(1)

    async def say(self, userid: str, text: str, *, key: str | None = None) -> str:
        """Send a text message; return the text of every reply it caused, joined by newlines."""
        key = key or f"msg:{next(self._ids)}"
        return await self.send(Inbound(userid=userid, kind="text", key=key, text=text))

    async def scan(
        self, userid: str, code: str, button: str = "scan_pick", *, key: str | None = None
    ) -> str:
        """Scan ``code`` with the menu button ``button`` (``scan_pick``, ``scan_query``, …)."""
        key = key or f"scan:{userid}:{next(self._ids)}:{button}:{code}"
        return await self.send(
            Inbound(userid=userid, kind="scan", key=key, text=code, event_key=button)
        )

    async def click(self, userid: str, event_key: str, *, task_id: str = "task-1") -> str:
        key = f"card:{task_id}:{userid}:{event_key}:{next(self._ids)}"
        inbound = Inbound(
            userid=userid, kind="card_click", key=key, task_id=task_id, event_key=event_key
        )
        return await self.send(inbound)

    async def send(self, inbound: Inbound) -> str:
        async def work(uow: UnitOfWork) -> list[str]:
            before = await uow.session.scalar(select(func.max(OutboxMessage.id))) or 0
            await handle(uow, inbound)
            rows = await uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id > before, OutboxMessage.target == inbound.userid)
                .order_by(OutboxMessage.id)
            )
            return [str(row.payload["text"]["content"]) for row in rows]

        return "\n".join(await in_transaction(self.uow, work))

    async def outbox_count(self) -> int:
        async def count(uow: UnitOfWork) -> int:
            return int(await uow.session.scalar(select(func.count(OutboxMessage.id))) or 0)

        return await in_transaction(self.uow, count)

    async def document_numbers(self) -> list[str]:
        """Every document in the ledger, in creation order (posted or not)."""

        async def numbers(uow: UnitOfWork) -> list[str]:
            return list(await uow.session.scalars(select(Document.number).order_by(Document.id)))

        return await in_transaction(self.uow, numbers)

    async def add_user(self, userid: str, role: str, *warehouses: str, active: bool = True) -> None:
        await in_transaction(
            self.uow,
            lambda uow: catalog.save_user(uow, "test", userid, userid, role, warehouses, active),
        )


ChatFactory = Callable[[UnitOfWork], Chat]


def assert_snapshot(name: str, text: str) -> None:
    """Compare with ``tests/snapshots/<name>.txt``; ``JXC_UPDATE_SNAPSHOTS=1`` (re)writes it."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("JXC_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with JXC_UPDATE_SNAPSHOTS=1 and review it"
    assert text + "\n" == path.read_text(encoding="utf-8"), f"snapshot {name} differs"
