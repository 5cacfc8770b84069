"""Ambiguous item names: offer a numbered list, then continue the command with the choice."""

from __future__ import annotations

from dataclasses import replace

from core.common import AmbiguousItem
from core.messaging import conversation
from handlers.router import Context, Reply

KIND = "pick"


async def offer(ctx: Context, error: AmbiguousItem) -> Reply:
    """Remember the command and the candidates; earlier picks of this command are kept."""
    payload = {
        "text": ctx.text,
        "query": error.query,
        "candidates": [list(c) for c in error.candidates],
        "picks": ctx.picks,
    }
    await conversation.save(ctx.uow, ctx.user.userid, KIND, payload)
    return ctx.render(
        "pick/offer.j2",
        query=error.query,
        candidates=error.candidates,
        minutes=conversation.TTL_MINUTES,
    )


async def choose(ctx: Context, number: int) -> Context | Reply:
    """The context to rerun the remembered command in, or a reply saying why not."""
    state = await conversation.load(ctx.uow, ctx.user.userid, KIND)
    if state is None:
        return ctx.render("pick/none.j2")
    candidates = state["candidates"]
    if not 1 <= number <= len(candidates):
        return ctx.render("pick/out_of_range.j2", count=len(candidates))
    await conversation.clear(ctx.uow, ctx.user.userid)
    picks = {**state["picks"], state["query"]: candidates[number - 1][0]}
    return replace(ctx, text=state["text"], picks=picks)
