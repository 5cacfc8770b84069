"""Where alerts go and how they are written to the outbox.

Group chat first (``appchat`` with the warehouse's chat id, else its group-robot ``webhook``);
a warehouse with neither sends to its managers as users, so nothing is silently dropped.
Every target gets one message per run however many subjects it covers (WeCom rate limits),
split into ≤ 2048-byte parts. Dedupe keys carry the run's instant, so two instances racing
the same scheduled run write each part once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from core import catalog
from core.catalog import WarehouseView
from core.common import Role, split_message
from core.messaging import enqueue, markdown_payload
from core.messaging.outbox import media_payload
from core.storage import UnitOfWork

MANAGERS = (Role.MANAGER, Role.ADMIN)
REVIEWERS = (Role.MANAGER, Role.ADMIN, Role.AUDITOR)
BUYERS = (Role.PURCHASER, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True, order=True)
class Target:
    channel: str
    address: str


# Who in a warehouse receives an alert about it.
Route = Callable[[UnitOfWork, WarehouseView], Awaitable[list[Target]]]


async def users(uow: UnitOfWork, warehouses: Sequence[str], roles: Sequence[Role]) -> list[Target]:
    """One ``user`` target naming everyone holding ``roles`` in any of ``warehouses``."""
    ids = sorted(
        {u.userid for code in warehouses for u in await catalog.users_with_roles(uow, code, roles)}
    )
    return [Target("user", "|".join(ids))] if ids else []


async def group(uow: UnitOfWork, warehouse: WarehouseView) -> list[Target]:
    if warehouse.group_chat_id:
        return [Target("appchat", warehouse.group_chat_id)]
    if warehouse.webhook_key:
        return [Target("webhook", warehouse.webhook_key)]
    return await users(uow, [warehouse.code], MANAGERS)


async def purchasing(uow: UnitOfWork, warehouse: WarehouseView) -> list[Target]:
    if warehouse.purchasing_chat_id:
        return [Target("appchat", warehouse.purchasing_chat_id)]
    if warehouse.group_chat_id or warehouse.webhook_key:
        return await group(uow, warehouse)
    return await users(uow, [warehouse.code], BUYERS)


async def managers(uow: UnitOfWork, warehouse: WarehouseView) -> list[Target]:
    """Managers and admins as users; with none bound, the store group rather than nobody."""
    found = await users(uow, [warehouse.code], MANAGERS)
    if found or not (warehouse.group_chat_id or warehouse.webhook_key):
        return found
    return await group(uow, warehouse)


async def reviewers(uow: UnitOfWork, warehouse: WarehouseView) -> list[Target]:
    """Managers, admins and auditors as users, never the store group (anomaly findings)."""
    return await users(uow, [warehouse.code], REVIEWERS)


async def send(uow: UnitOfWork, target: Target, text: str, key: str) -> int:
    """Write the message (in parts if long); returns the number of outbox rows written."""
    address = hashlib.sha1(f"{target.channel}:{target.address}".encode()).hexdigest()[:12]
    written = 0
    for number, part in enumerate(split_message(text), start=1):
        row = await enqueue(
            uow,
            target.channel,
            target.address,
            markdown_payload(part),
            dedupe_key=f"alert:{key}:{address}:{number}",
        )
        written += row is not None
    return written


async def send_media(
    uow: UnitOfWork, target: Target, kind: str, path: str, name: str, key: str
) -> int:
    """Write one picture or file message (``path`` under the data dir); 1 if written."""
    address = hashlib.sha1(f"{target.channel}:{target.address}".encode()).hexdigest()[:12]
    row = await enqueue(
        uow,
        target.channel,
        target.address,
        media_payload(kind, path, name),
        dedupe_key=f"media:{key}:{address}",
    )
    return int(row is not None)
