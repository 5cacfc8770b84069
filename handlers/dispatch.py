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
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace

from core import catalog, ledger
from core.common import AmbiguousItem, DomainError, InvalidInput, NotFound, split_message
from core.ledger import DocumentCommand
from core.messaging import outbox, queued
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
    posting,
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
# Commands that only read, answered in the callback's own HTTP response when they can be
# (``单据`` only with a document number: its list remembers where 下一页 goes on).
PASSIVE = frozenset({"查", "帮助"})
# WeCom's limit on a passive text reply's content.
PASSIVE_MAX_BYTES = 2048

Work = Callable[[Context], Awaitable[Reply]]


def reply_key(inbound: Inbound) -> str:
    """The dedupe key of the (first part of the) reply to ``inbound``."""
    return bounded_key(f"reply:{inbound.key}", MAX_REPLY_KEY)


def is_read_only(inbound: Inbound) -> bool:
    """Whether ``inbound`` names a command that only reads (the read lane may answer it)."""
    if inbound.kind != "text":
        return False
    match = ROUTER.match(normalize(inbound.text))
    if match is None:
        return False
    command, args = match
    if command.keyword == "单据":
        return documents.NUMBER.fullmatch(args.upper()) is not None
    return command.keyword in PASSIVE


@dataclass(frozen=True)
class PassiveReply:
    text: str
    # True: the message and this reply are stored already (the callback is WeCom's retry).
    recorded: bool = False


async def passive_reply(
    uow: UnitOfWork, inbound: Inbound, delivered: Collection[int] = ()
) -> PassiveReply | None:
    """The reply to a read-only command, worked out in ``uow``'s read-only transaction, when
    it can go back in the callback's answer; None when the message must take the inbox.

    That is: ``is_read_only``, from an active user with nothing of theirs waiting in the inbox
    or the outbox (the reply would overtake those; the outbox rows ``delivered`` have been sent,
    their outcome not recorded yet), whose reply is one plain text within
    WeCom's limit. A command that turns out to write (an ambiguous name's numbered list) is
    refused by the read-only transaction (raised to the caller) or leaves changes unwritten
    (None). A message stored before gets the passive reply it got then, or None (the inbox
    finds it a duplicate).
    """
    if not is_read_only(inbound):
        return None
    state = await queued.of_user(
        uow,
        userid=inbound.userid,
        message_key=inbound.key,
        reply_key=reply_key(inbound),
        delivered=delivered,
    )
    if state.earlier_reply is not None:
        return PassiveReply(str(state.earlier_reply["text"]["content"]), recorded=True)
    if state.stored or state.waiting:
        return None
    user = await catalog.find_user(uow, inbound.userid)
    if user is None or not user.active:
        return None
    reply = await _run(Context(uow, inbound, user, ROUTER, text=normalize(inbound.text)))
    if uow.has_unwritten_changes or reply.markdown or reply.attachments:
        return None
    if len(reply.text.encode()) > PASSIVE_MAX_BYTES:
        return None
    return PassiveReply(reply.text)


async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
    """Everything one inbound message causes, replies included, inside uow's open transaction."""
    if await outbox.exists(uow.session, reply_key(inbound)):
        return
    await outbox.enqueue_many(uow, await _answer(uow, inbound))


async def handle_many(uow: UnitOfWork, inbounds: Sequence[Inbound]) -> list[Settled]:
    """``handle`` of each message of a batch (different users'), each in its own savepoint.

    The batch's answered keys and users are looked up once, and the replies of the messages
    that were handled are written together at the end. A message whose handling raised gets
    its error (its savepoint rolled back, nothing of it written) and no reply here.

    The documents the batch's messages post (a command's ``document``: 销售, 入库) are posted
    together by ``ledger.submit_together``, as the group committer posts ``ledger.Submission``:
    each checked on its own, a refusal that message's answer while the others post. What goes
    wrong otherwise there (or in saying what came of it) fails the batch, which the committer
    then runs again message by message.
    """
    answered = await outbox.existing(uow, {reply_key(inbound) for inbound in inbounds})
    await catalog.find_users(uow, {inbound.userid for inbound in inbounds})
    settled = [Settled() for _ in inbounds]
    answers: dict[int, Reply] = {}
    postings: dict[int, _Posting] = {}
    for index, inbound in enumerate(inbounds):
        if reply_key(inbound) in answered:
            continue
        try:
            async with uow.savepoint():
                found = await _posting(uow, inbound) or await _reply(uow, inbound)
        except Exception as error:
            settled[index] = Settled(error=error)
            continue
        if isinstance(found, _Posting):
            postings[index] = found
        else:
            answers[index] = found
    if postings:
        outcomes = await ledger.submit_together(uow, [p.command for p in postings.values()])
        for (index, pending), outcome in zip(postings.items(), outcomes, strict=True):
            answers[index] = await pending.reply(outcome)
    await outbox.enqueue_many(
        uow, [row for index in sorted(answers) for row in _rows(inbounds[index], answers[index])]
    )
    return settled


@dataclass(frozen=True)
class _Posting:
    """A message whose document is posted with the batch's others."""

    ctx: Context
    command: DocumentCommand
    example: str

    async def reply(self, outcome: Settled) -> Reply:
        if outcome.error is None:
            reply, _ = await posting.submission_reply(self.ctx, outcome.result)
            return reply
        if isinstance(outcome.error, DomainError):
            return await _refusal(self.ctx, outcome.error, self.example)
        raise outcome.error


async def _posting(uow: UnitOfWork, inbound: Inbound) -> _Posting | Reply | None:
    """The document a text message posts, or its refusal; None: it is handled as usual."""
    user = await catalog.find_user(uow, inbound.userid)
    if inbound.kind != "text" or user is None or not user.active:
        return None
    ctx = Context(uow, inbound, user, ROUTER, text=normalize(inbound.text))
    match = None if PICK.fullmatch(ctx.text) else ROUTER.match(ctx.text)
    if match is None:
        return None
    command, args = match
    if command.document is None or user.role not in command.roles:
        return None
    try:
        async with uow.savepoint():
            document = await command.document(ctx, args)
    except DomainError as error:
        return await _refusal(ctx, error, command.example)
    return None if document is None else _Posting(ctx, document, command.example)


async def _answer(uow: UnitOfWork, inbound: Inbound) -> list[outbox.Outgoing]:
    """The message's effects, and the outbox rows of its reply (not yet written)."""
    return _rows(inbound, await _reply(uow, inbound))


async def _reply(uow: UnitOfWork, inbound: Inbound) -> Reply:
    user = await catalog.find_user(uow, inbound.userid)
    if user is None or not user.active:
        return Reply(render("errors/unknown_user.j2"))
    return await _respond(Context(uow, inbound, user, ROUTER, text=normalize(inbound.text)))


def _rows(inbound: Inbound, reply: Reply) -> list[outbox.Outgoing]:
    first_key = reply_key(inbound)
    payload = outbox.markdown_payload if reply.markdown else outbox.text_payload
    parts = split_message(reply.text)
    rows = []
    for number, part in enumerate(parts, start=1):
        key = first_key if number == 1 else bounded_key(f"{first_key}:{number}", MAX_REPLY_KEY)
        rows.append(outbox.Outgoing("user", inbound.userid, payload(part), key))
    for number, attached in enumerate(reply.attachments, start=len(parts) + 1):
        key = bounded_key(f"{first_key}:{number}", MAX_REPLY_KEY)
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
    except DomainError as error:
        return await _refusal(ctx, error, example)


async def _refusal(ctx: Context, error: DomainError, example: str) -> Reply:
    if isinstance(error, AmbiguousItem):
        return await picks.offer(ctx, error)
    fixable = isinstance(error, InvalidInput | NotFound) and "例如" not in error.message
    shown = example if fixable else ""
    return ctx.render("errors/refused.j2", message=error.message, example=shown)
