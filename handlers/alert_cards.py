"""Clicks on the expiry and low-stock cards (``notifications.rules.alert_cards``).

Each button checks the clicker's role before it does anything:
- 报损 (clerk, manager, admin): the expired batches of the store as ready-to-send 报损 lines;
- 调拨 (purchaser, manager, admin): the batches still in date as 调拨 lines to fill in;
- 生成采购单 (purchaser, manager, admin): the reorder list as an XLSX file;
- 已处理 (manager, admin): the card shows 已处理·<name> for everyone, and the audit log says who.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from core import analytics
from core.doctypes import ROLE_NAMES, Role
from core.messaging import outbox
from core.reports import order_to_lift, write_low_stock_list
from handlers.router import APPROVERS, SHOP, SUPPLY, Attachment, Context, Reply, Router

ACTIONS = {"writeoff": SHOP, "transfer": SUPPLY, "order": SUPPLY, "done": APPROVERS}
ACTION_NAMES = {"writeoff": "报损", "transfer": "调拨", "order": "生成采购单", "done": "已处理"}
EXPIRY_HORIZON = timedelta(days=30)

router = Router()


@router.card("alert")
async def on_click(ctx: Context, subject: str) -> Reply:
    """A button ``alert:<action>:<rule>:<warehouse>`` on an expiry or low-stock card."""
    parts = subject.split(":")
    if len(parts) != 3 or parts[0] not in ACTIONS:
        return ctx.render("approvals/unknown_click.j2")
    action, rule, code = parts
    allowed = ACTIONS[action]
    if ctx.user.role not in allowed:
        names = "、".join(ROLE_NAMES[r] for r in Role if r in allowed)
        return ctx.render("alerts/role.j2", action=ACTION_NAMES[action], roles=names)
    if ctx.visible_warehouses is not None and code not in ctx.visible_warehouses:
        return ctx.render("alerts/not_yours.j2", code=code)
    if action == "done":
        return await _done(ctx, rule, code)
    if action == "order":
        return await _order(ctx, code)
    return await _expiry_lines(ctx, code, expired=action == "writeoff")


async def _expiry_lines(ctx: Context, code: str, *, expired: bool) -> Reply:
    today = ctx.uow.today()
    batches = [
        b
        for b in await analytics.batches_expiring_by(ctx.uow, today + EXPIRY_HORIZON)
        if b.warehouse == code and (b.expiry <= today) == expired
    ]
    template = "alerts/writeoff_lines.j2" if expired else "alerts/transfer_lines.j2"
    return ctx.render(template, batches=batches, code=code, today=today)


async def _order(ctx: Context, code: str) -> Reply:
    levels = [
        (level, order_to_lift(level.on_hand, level))
        for level in await analytics.stock_levels(ctx.uow, low_only=True)
        if level.warehouse == code
    ]
    if not levels:
        return ctx.render("alerts/nothing_low.j2", code=code)
    stamp = ctx.uow.now().astimezone(ctx.uow.tz).strftime("%Y%m%d-%H%M%S")
    relative = Path("reports") / f"order-{code}-{ctx.user.userid}-{stamp}.xlsx"
    path = ctx.uow.settings.data_dir / relative
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(write_low_stock_list, levels, path, ctx.uow.tz)
    name = f"采购单-{code}-{stamp}.xlsx"
    text = ctx.render("alerts/order.j2", count=len(levels), code=code).text
    return Reply(text, attachments=(Attachment("file", str(relative), name),))


async def _done(ctx: Context, rule: str, code: str) -> Reply:
    ctx.uow.record(
        ctx.user.userid, "alert.handled", f"{rule}:{code}", {"task": ctx.inbound.task_id}
    )
    if ctx.inbound.response_code:
        label = f"已处理·{ctx.user.name}"
        card = await outbox.card_target(
            ctx.uow.session, f"card:{rule}:%:{code}", ctx.inbound.task_id
        )
        userids = (card or ctx.user.userid).split("|")
        await outbox.enqueue(
            ctx.uow,
            "card_update",
            "|".join(userids),
            {"userids": userids, "response_code": ctx.inbound.response_code, "replace_name": label},
            dedupe_key=f"alert-card-done:{ctx.inbound.task_id}",
        )
    return ctx.render("alerts/done.j2", code=code, name=ctx.user.name)
