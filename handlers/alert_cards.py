"""Clicks on the expiry and low-stock cards (``notifications.rules.alert_cards``).

A button is ``alert:<action>:<card id>@<revision>[:<to warehouse>]``. Each click first checks
the clicker's role, then that the card is the latest for its warehouse and still open at the
revision the button was drawn with (an old or repeated click is refused, nothing changes),
then acts on the lines the card showed:
- 报损 (clerk, manager, admin): one 报损 document for the card's batches that have expired
  (expiry on or before the shop's today) and are still in stock, through the ledger's own
  path (above the approval threshold it waits for approval); batches still in date are left;
- 调拨到 X (purchaser, manager, admin): one 调拨 of the batches still in date to X (with one
  warehouse only, the reply says there is nowhere to move them);
- 生成采购单 (purchaser, manager, admin): a purchase order (``CG``) at the advised quantities;
- 已处理 (manager, admin): nothing but the mark.
Acting closes the card (audited): every holder's copy shows what was done and by whom.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core import analytics, catalog, orders
from core.common import APPROVAL_PREFIX, ROLE_NAMES, Role
from core.ledger import Line, Transfer, WriteOff
from core.messaging import alert_cards, outbox
from core.messaging.alert_cards import CLOSED, OPEN, AlertCardView
from core.orders import PURCHASE, NewOrder
from handlers import posting
from handlers.router import APPROVERS, SHOP, SUPPLY, Context, Reply, Router

ACTIONS = {"writeoff": SHOP, "transfer": SUPPLY, "order": SUPPLY, "done": APPROVERS}
ACTION_NAMES = {"writeoff": "报损", "transfer": "调拨", "order": "生成采购单", "done": "已处理"}
# What a closed card's button area says afterwards (WeCom's replace_name).
OUTCOME_NAMES = {
    "writeoff": "已报损",
    "transfer": "已调拨",
    "order": "已生成采购单",
    "done": "已处理",
}

router = Router()


def outcome_name(outcome: str, result: str | None) -> str:
    """已报损, or 报损待审批 while the write-off or transfer waits for its approval."""
    if result and result.startswith(f"{APPROVAL_PREFIX}-"):
        return f"{ACTION_NAMES[outcome]}待审批"
    return OUTCOME_NAMES[outcome]


def parse(subject: str) -> tuple[str, int, int, str | None] | None:
    """``writeoff:12@1`` → ("writeoff", 12, 1, None); ``transfer:12@1:B1`` adds B1."""
    action, _, rest = subject.partition(":")
    card, _, to = rest.partition(":")
    number, _, revision = card.partition("@")
    if action not in ACTIONS or not number.isdigit() or not revision.isdigit():
        return None
    return action, int(number), int(revision), to or None


@router.card("alert")
async def on_click(ctx: Context, subject: str) -> Reply:
    """A button on an expiry or low-stock card."""
    parsed = parse(subject)
    if parsed is None:
        return ctx.render("errors/unknown_click.j2")
    action, card_id, revision, to = parsed
    allowed = ACTIONS[action]
    if ctx.user.role not in allowed:
        names = "、".join(ROLE_NAMES[r] for r in Role if r in allowed)
        return ctx.render("alerts/role.j2", action=ACTION_NAMES[action], roles=names)
    card = await alert_cards.card_by_id(ctx.uow, card_id)
    if card is None:
        return ctx.render("errors/unknown_click.j2")
    if ctx.visible_warehouses is not None and card.warehouse not in ctx.visible_warehouses:
        return ctx.render("alerts/not_yours.j2", code=card.warehouse)
    if card.status == CLOSED:
        by = await ctx.name_of(card.closed_by or "")
        outcome = outcome_name(card.outcome or "done", card.result)
        return ctx.render("alerts/closed.j2", card=card, by=by, outcome=outcome)
    if card.status != OPEN or card.revision != revision:
        return ctx.render("alerts/stale.j2", card=card)
    if action == "writeoff":
        return await _write_off(ctx, card)
    if action == "transfer":
        return await _transfer(ctx, card, to)
    if action == "order":
        return await _order(ctx, card)
    await _close(ctx, card, "done", None)
    return ctx.render("alerts/done.j2", code=card.warehouse, name=ctx.user.name)


async def _in_stock(ctx: Context, card: AlertCardView) -> list[tuple[dict[str, Any], Decimal]]:
    """The card's batches with what is left of each now (sold or written off since: less)."""
    latest = max(date.fromisoformat(line["expiry"]) for line in card.lines)
    now = {
        b.batch_id: b.qty
        for b in await analytics.batches_expiring_by(ctx.uow, latest)
        if b.warehouse == card.warehouse
    }
    return [
        (line, now[line["batch_id"]]) for line in card.lines if now.get(line["batch_id"], 0) > 0
    ]


def _batch_line(line: dict[str, Any], qty: Decimal) -> Line:
    return Line(line["sku"], qty, lot=line["lot"] or None)


async def _write_off(ctx: Context, card: AlertCardView) -> Reply:
    # Only what has expired: the card also lists batches still weeks in date, and writing
    # those off would throw away sellable stock (they are for 调拨 or a promotion).
    today = ctx.uow.today()
    in_stock = await _in_stock(ctx, card)
    left = [(line, qty) for line, qty in in_stock if date.fromisoformat(line["expiry"]) <= today]
    if not left:
        return ctx.render(
            "alerts/nothing_left.j2",
            card=card,
            action="报损",
            in_date=False,
            not_expired=bool(in_stock),
        )
    command = WriteOff(
        warehouse=card.warehouse,
        actor=ctx.user.userid,
        lines=tuple(_batch_line(line, qty) for line, qty in left),
        note="过期提醒卡片报损",
        idempotency_key=ctx.key(),
    )
    reply, number = await posting.submitted(ctx, command)
    await _close(ctx, card, "writeoff", number)
    return _headed(
        ctx.render("alerts/acted.j2", action="报损", count=len(left), number=number), reply
    )


async def _transfer(ctx: Context, card: AlertCardView, to: str | None) -> Reply:
    others = [w.code for w in await catalog.list_warehouses(ctx.uow) if w.code != card.warehouse]
    if not others:
        return ctx.render("alerts/one_warehouse.j2", code=card.warehouse)
    if to not in others:
        return ctx.render("alerts/pick_warehouse.j2", code=card.warehouse, others=others)
    today = ctx.uow.today()
    left = [
        (line, qty)
        for line, qty in await _in_stock(ctx, card)
        if date.fromisoformat(line["expiry"]) > today
    ]
    if not left:
        return ctx.render("alerts/nothing_left.j2", card=card, action="调拨", in_date=True)
    command = Transfer(
        warehouse=card.warehouse,
        actor=ctx.user.userid,
        lines=tuple(_batch_line(line, qty) for line, qty in left),
        to_warehouse=to,
        note="临期提醒卡片调拨",
        idempotency_key=ctx.key(),
    )
    reply, number = await posting.submitted(ctx, command)
    await _close(ctx, card, "transfer", number)
    return _headed(
        ctx.render("alerts/acted.j2", action=f"调拨到 {to}", count=len(left), number=number), reply
    )


async def _order(ctx: Context, card: AlertCardView) -> Reply:
    lines = tuple(
        Line(line["sku"], Decimal(line["suggested"]))
        for line in card.lines
        if Decimal(line["suggested"]) > 0
    )
    if not lines:
        return ctx.render("alerts/nothing_low.j2", code=card.warehouse)
    order = await orders.create_order(
        ctx.uow,
        NewOrder(
            kind=PURCHASE,
            warehouse=card.warehouse,
            actor=ctx.user.userid,
            partner=None,
            lines=lines,
            note="低库存提醒卡片生成",
            idempotency_key=ctx.key(),
        ),
    )
    await _close(ctx, card, "order", order.number)
    created = ctx.render("orders/created.j2", order=order)
    acted = ctx.render(
        "alerts/acted.j2", action="生成采购单", count=len(lines), number=order.number
    )
    return _headed(acted, created)


async def _close(ctx: Context, card: AlertCardView, outcome: str, result: str | None) -> None:
    """Close the card at the revision read; relabel every holder's copy once."""
    await alert_cards.close_card(ctx.uow, card, ctx.user.userid, outcome, result)
    if ctx.inbound.response_code:
        label = f"{outcome_name(outcome, result)}·{ctx.user.name}"
        label += f" {result}" if result else ""
        userids = list(card.recipients) or [ctx.user.userid]
        await outbox.enqueue(
            ctx.uow,
            "card_update",
            "|".join(userids),
            {"userids": userids, "response_code": ctx.inbound.response_code, "replace_name": label},
            dedupe_key=f"alert-card-closed:{card.id}",
        )


def _headed(head: Reply, body: Reply) -> Reply:
    return Reply(f"{head.text}\n{body.text}", markdown=body.markdown, attachments=body.attachments)
