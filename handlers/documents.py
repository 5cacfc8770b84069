"""单据: documents newest first, ten a chat page, continued by 下一页; or one by its number,
looked up in the archive too when it is no longer in the live ledger."""

from __future__ import annotations

import re

from core import archive, ledger
from core.common import PermissionDenied
from core.ledger import DocumentFilter
from core.messaging import conversation
from handlers import doc_filters
from handlers.grammar import normalize
from handlers.router import ANY, Context, Reply, Router

router = Router()

KIND = "docs"
PAGE_SIZE = 10
NUMBER = re.compile(r"[A-Z]{2}-\d{8}-\d{4}")


@router.command("单据", "docs", roles=ANY)
async def documents(ctx: Context, args: str) -> Reply:
    """查单据，可按时间、客户、状态、类型筛选。例：单据 本周 类型 销售"""
    words = normalize(args).split()
    if len(words) == 1 and NUMBER.fullmatch(words[0].upper()):
        return await _one(ctx, words[0].upper())
    filters = await doc_filters.parse(ctx, words)
    return await _page(ctx, filters, cursor=None, shown=0)


@router.command("下一页", "more", roles=ANY)
async def next_page(ctx: Context, args: str) -> Reply:
    """单据列表的下一页。例：下一页"""
    state = await conversation.load(ctx.uow, ctx.user.userid, KIND)
    if state is None:
        return ctx.render("documents/no_more.j2", minutes=conversation.TTL_MINUTES)
    if state["cursor"] is None:
        return ctx.render("documents/last_page.j2", shown=state["shown"])
    filters = doc_filters.from_payload(state["filter"])
    return await _page(ctx, filters, state["cursor"], state["shown"])


async def _page(ctx: Context, filters: DocumentFilter, cursor: str | None, shown: int) -> Reply:
    page = await ledger.list_documents(ctx.uow, filters, cursor, limit=PAGE_SIZE)
    # The list is remembered after its last page too (no cursor), so 下一页 then says that
    # the list has ended rather than that it expired.
    state = {
        "filter": doc_filters.to_payload(filters),
        "cursor": page.next_cursor,
        "shown": shown + len(page.rows),
    }
    await conversation.save(ctx.uow, ctx.user.userid, KIND, state)
    return ctx.render(
        "documents/list.j2",
        documents=page.rows,
        first=shown + 1,
        more=page.next_cursor is not None,
        continued=cursor is not None,
    )


async def _one(ctx: Context, number: str) -> Reply:
    found = await archive.find_document(ctx.uow, number)
    document = found.document
    visible = ctx.visible_warehouses
    if visible is not None and not {document.warehouse, document.to_warehouse} & set(visible):
        raise PermissionDenied(f"你没有仓库 {document.warehouse} 的权限，不能查看 {number}")
    author = await ctx.name_of(document.created_by)
    return ctx.render(
        "documents/detail.j2", document=document, author=author, archived=found.archived
    )
