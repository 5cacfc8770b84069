"""The entry point the inbox worker calls: one inbound message → its effects and its reply.

Everything happens in the caller's open transaction; the caller commits, and retries the whole
message on ``ConcurrencyConflict``. A message is answered once: its reply row carries a dedupe
key derived from the inbox key, and a message whose reply exists is not handled again. Ledger
requests carry the inbox key as their idempotency key as well.

A refused request (``DomainError``) is rolled back to a savepoint taken before the handler ran,
so a refusal changes nothing; any other exception propagates to the wire.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from core import catalog
from core.common import AmbiguousItem, DomainError, InvalidInput, NotFound, split_message
from core.messaging import outbox
from core.storage import Settled, UnitOfWork
from handlers import (
    alert_cards,
    approvals,
    documents,
    inventory,
    menu,
    money,
    new_items,
    orders,
    picks,
    recipes,
    reports,
    scans,
    stock,
    trade,
)
from handlers import help as help_commands
from handlers.grammar import normalize
from handlers.inbound import Inbound
from handlers.render import render
from handlers.router import Context, Reply, Router, bounded_key

ROUTER = Router().include(
    help_commands.router,
    stock.router,
    trade.router,
    orders.router,
    inventory.router,
    new_items.router,
    documents.router,
    approvals.router,
    money.router,
    reports.router,
    alert_cards.router,
    recipes.router,
)
PICK = re.compile(r"\d{1,2}")
# The outbox dedupe key column is 200 characters.
MAX_REPLY_KEY = 200

Work = Callable[[Context], Awaitable[Reply]]


async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
    """Everything one inbound message causes, replies included, inside uow's open transaction."""
    if await outbox.exists(uow.session, _reply_key(inbound)):
        return
    await outbox.enqueue_many(uow, await _answer(uow, inbound))


async def handle_many(uow: UnitOfWork, inbounds: Sequence[Inbound]) -> list[Settled]:
    """``handle`` of each message of a batch (different users'), each in its own savepoint.

    The batch's answered keys and users are looked up once, and the replies of the messages
    that were handled are written together at the end. A message whose handling raised gets
    its error (its savepoint rolled back, nothing of it written) and no reply here.
    """
    answered = await outbox.existing(uow, {_reply_key(inbound) for inbound in inbounds})
    await catalog.find_users(uow, {inbound.userid for inbound in inbounds})
    replies: list[outbox.Outgoing] = []
    settled = []
    for inbound in inbounds:
        if _reply_key(inbound) in answered:
            settled.append(Settled())
            continue
        try:
            async with uow.savepoint():
                answer = await _answer(uow, inbound)
        except Exception as error:
            settled.append(Settled(error=error))
            continue
        replies += answer
        settled.append(Settled())
    await outbox.enqueue_many(uow, replies)
    return settled


def _reply_key(inbound: Inbound) -> str:
    return bounded_key(f"reply:{inbound.key}", MAX_REPLY_KEY)


async def _answer(uow: UnitOfWork, inbound: Inbound) -> list[outbox.Outgoing]:
    """The message's effects, and the outbox rows of its reply (not yet written)."""
    reply_key = _reply_key(inbound)
    user = await catalog.find_user(uow, inbound.userid)
    if user is None or not user.active:
        reply = Reply(render("errors/unknown_user.j2"))
    else:
        ctx = Context(uow, inbound, user, ROUTER, text=normalize(inbound.text))
        reply = await _respond(ctx)
    payload = outbox.markdown_payload if reply.markdown else outbox.text_payload
    parts = split_message(reply.text)
    rows = []
    for number, part in enumerate(parts, start=1):
        key = reply_key if number == 1 else bounded_key(f"{reply_key}:{number}", MAX_REPLY_KEY)
        rows.append(outbox.Outgoing("user", inbound.userid, payload(part), key))
    for number, attached in enumerate(reply.attachments, start=len(parts) + 1):
        key = bounded_key(f"{reply_key}:{number}", MAX_REPLY_KEY)
        media = outbox.media_payload(attached.kind, attached.path, attached.name)
        rows.append(outbox.Outgoing("user", inbound.userid, media, key))
    return rows


async def _respond(ctx: Context) -> Reply:
    if ctx.inbound.kind == "card_click":
        return await _click(ctx)
    if ctx.inbound.kind == "scan":
        button = ctx.inbound.event_key
        return await _guarded(ctx, lambda c: scans.on_scan(c, c.inbound.text, button))
    if ctx.inbound.kind == "menu_click" and ctx.inbound.event_key == menu.HELP:
        return await _run(replace(ctx, text="帮助"))
    if ctx.inbound.kind != "text":
        return ctx.render("errors/not_text.j2")
    if PICK.fullmatch(ctx.text):
        chosen = await picks.choose(ctx, int(ctx.text))
        if isinstance(chosen, Reply):
            return chosen
        ctx = chosen
    return await _run(ctx)


async def _run(ctx: Context) -> Reply:
    match = ctx.router.match(ctx.text)
    if match is None:
        # A bare barcode or sku means what a scan in the user's current mode means.
        if ctx.text and " " not in ctx.text and await scans.is_code(ctx, ctx.text):
            return await _guarded(ctx, lambda c: scans.on_scan(c, c.text, None))
        return ctx.render("errors/unknown_command.j2", text=ctx.text)
    command, args = match
    if ctx.user.role not in command.roles:
        return ctx.render("errors/role.j2", command=command, user=ctx.user)
    return await _guarded(ctx, lambda c: command.handler(c, args), command.example)


async def _click(ctx: Context) -> Reply:
    match = ctx.router.match_card(ctx.inbound.event_key)
    if match is None:
        return ctx.render("errors/unknown_click.j2")
    handler, subject = match
    return await _guarded(ctx, lambda c: handler(c, subject))


async def _guarded(ctx: Context, work: Work, example: str = "") -> Reply:
    try:
        async with ctx.uow.savepoint():
            return await work(ctx)
    except AmbiguousItem as error:
        return await picks.offer(ctx, error)
    except DomainError as error:
        fixable = isinstance(error, InvalidInput | NotFound) and "例如" not in error.message
        shown = example if fixable else ""
        return ctx.render("errors/refused.j2", message=error.message, example=shown)
