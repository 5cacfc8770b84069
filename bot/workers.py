"""The background tasks of one app: the inbox worker and the outbox delivery worker."""

from __future__ import annotations

import asyncio
import logging

from bot.inbox_worker import InboxWorker
from notifications.outbox_worker import DeliveryWorker

log = logging.getLogger(__name__)


class Workers:
    def __init__(self, inbox: InboxWorker, delivery: DeliveryWorker) -> None:
        self.inbox = inbox
        self.delivery = delivery
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        for name, worker in (("inbox", self.inbox), ("delivery", self.delivery)):
            task = asyncio.create_task(worker.run(), name=f"jxc-{name}-worker")
            task.add_done_callback(_log_crash)
            self._tasks[name] = task

    async def stop(self, grace: float) -> None:
        """Let the workers finish the message in hand (up to ``grace`` seconds), then cancel."""
        self.inbox.stop()
        self.delivery.stop()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        await self.kill()

    async def kill(self) -> None:
        """Stop at once, as a crash would: work in hand is rolled back, not finished."""
        self.inbox.abort()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def state(self) -> dict[str, str]:
        return {name: _task_state(task) for name, task in self._tasks.items()}


def _task_state(task: asyncio.Task[None]) -> str:
    if not task.done():
        return "running"
    if task.cancelled() or task.exception() is None:
        return "stopped"
    return "crashed"


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("worker_crashed", exc_info=task.exception(), extra={"task": task.get_name()})
