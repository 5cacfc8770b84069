"""A scan, from the menu's camera or typed as a bare code, applied in the user's current mode.

扫码查询 (and a bare code with no session open) is ``查``. 扫码拣货/收货/盘点 apply to the open
session of that mode and are refused without one; a bare code applies to whatever session is
open. An expired session answers that it ended instead of applying the scan.
"""

from __future__ import annotations

from core import catalog, orders
from core.common import DomainError, NotFound
from core.orders import COUNT, PICK, RECEIVE, Ended, UnknownCode
from handlers import menu
from handlers.router import APPROVERS, Context, Reply

MODE_OF_KEY = {menu.SCAN_PICK: PICK, menu.SCAN_RECEIVE: RECEIVE, menu.SCAN_COUNT: COUNT}
MODE_NAMES = {PICK: "拣货", RECEIVE: "收货", COUNT: "盘点"}
HOW_TO_START = {
    PICK: "拣货 DD-<单号>",
    RECEIVE: "收货 CG-<单号>",
    COUNT: "盘点 <分类>（如 盘点 饮料）",
}


async def on_scan(ctx: Context, raw: str, button: str | None) -> Reply:
    """``button`` is the menu key the scan came from; None for a code typed as text."""
    if button == menu.SCAN_QUERY:
        return await query(ctx, raw)
    state = await orders.session_of(ctx.uow, ctx.user.userid)
    if isinstance(state, Ended):
        return _expired(ctx, state)
    wanted = MODE_OF_KEY.get(button or "")
    if state is None:
        if wanted is None:
            return await query(ctx, raw)
        return ctx.render(
            "scans/no_session.j2", mode_name=MODE_NAMES[wanted], start=HOW_TO_START[wanted]
        )
    view = state
    if wanted is not None and wanted != state.mode:
        return ctx.render(
            "scans/wrong_mode.j2",
            session=view,
            mode_name=MODE_NAMES[wanted],
            start=HOW_TO_START[wanted],
        )
    try:
        applied = await orders.scan(ctx.uow, ctx.user.userid, raw, ctx.key())
    except UnknownCode as error:
        raise NotFound(await _unknown(ctx, error)) from None
    session = applied.session
    complete = session.order is not None and all(
        line.scanned >= line.qty for line in session.order.lines
    )
    return ctx.render(
        "scans/applied.j2",
        scanned=applied.scanned,
        session=session,
        counted=applied.counted,
        complete=complete,
    )


async def is_code(ctx: Context, text: str) -> bool:
    """Whether a message that is no command reads as a scan: a code's shape, or a known code."""
    if orders.looks_like_code(text):
        return True
    try:
        await orders.resolve_scan(ctx.uow, text)
    except DomainError:
        return False
    return True


async def query(ctx: Context, raw: str) -> Reply:
    try:
        scanned = await orders.resolve_scan(ctx.uow, raw)
    except UnknownCode as error:
        raise NotFound(await _unknown(ctx, error)) from None
    view = await orders.stock_of(ctx.uow, scanned.item.sku)
    return ctx.render("stock/balance.j2", stock=view)


def _expired(ctx: Context, expired: Ended) -> Reply:
    view = expired.session
    again = (
        f"{'拣货' if view.mode == PICK else '收货'} {view.order.number}"
        if view.order is not None
        else f"盘点 {view.category}"
    )
    return ctx.render("scans/expired.j2", session=view, minutes=expired.minutes, again=again)


async def _unknown(ctx: Context, error: UnknownCode) -> str:
    approvers = await catalog.users_with_roles(ctx.uow, ctx.warehouse, APPROVERS)
    who = "、".join(u.name for u in approvers) or "管理员"
    return (
        f"{error.message}。请 {who} 登记后再扫，例如：条码 <商品名> {error.code}"
        "（整箱码在后面加每箱数量）"
    )
