"""帮助: the commands this user's role may use, by section; ``帮助 <section>`` gives each of a
section's commands with an example, ``帮助 <command>`` one command. A WeCom text message holds
2048 bytes: the whole list with its examples does not fit one for a manager, so the first
answer names the commands and the sections give the detail.

The shop's preset (``jxc init --preset``) may leave some out to keep the lists short; asked for
by name, a left-out command is still explained (it still works when typed).
"""

from __future__ import annotations

from core import presets
from core.common import InvalidInput
from handlers import money
from handlers.router import ANY, Command, Context, Reply, Router

router = Router()

# Every command but 帮助 stands in exactly one section (tests/unit/test_help_sections.py).
SECTIONS: dict[str, tuple[str, ...]] = {
    "库存": ("查", "入库", "盘点", "盘点任务", "报损", "调拨", "调价", "新品", "条码"),
    "买卖": ("销售", "退货", "采购退货", "撮合"),
    "订单": ("订单", "采购", "取消订单", "拣货", "收货", "发货"),
    "单据": ("单据", "下一页", "待审批", "批准", "驳回", "撤回"),
    "往来": (
        "客户",
        "供应商",
        "新客户",
        "新供应商",
        "收款",
        "付款",
        "应收",
        "应付",
        "对账单",
        "合同",
    ),
    "报表": ("毛利", "健康检查", "用量"),
    "配方": ("配方", "生产", "领用"),
}


@router.command("帮助", "help", roles=ANY)
async def show_help(ctx: Context, args: str) -> Reply:
    """列出你能用的命令；加类别或命令看用法。例：帮助 库存"""
    topic = args.strip()
    if topic in SECTIONS:
        listed = await _listed(ctx)
        commands = [listed[k] for k in SECTIONS[topic] if k in listed]
        return ctx.render("help/section.j2", user=ctx.user, section=topic, commands=commands)
    if topic:
        return ctx.render("help/command.j2", user=ctx.user, command=_command(ctx, topic))
    listed = await _listed(ctx)
    sections = [
        (name, [listed[k] for k in keywords if k in listed]) for name, keywords in SECTIONS.items()
    ]
    return ctx.render(
        "help/sections.j2", user=ctx.user, sections=[(n, c) for n, c in sections if c]
    )


async def _listed(ctx: Context) -> dict[str, Command]:
    """The commands 帮助 lists for this user: their role's, less what the shop leaves out."""
    profile = await presets.current_profile(ctx.uow)
    hidden = frozenset() if profile is None else profile.hidden_commands
    hidden |= await money.hidden_in_help(ctx)
    return {
        c.keyword: c
        for c in ctx.router.commands
        if ctx.user.role in c.roles and c.keyword not in hidden
    }


def _command(ctx: Context, topic: str) -> Command:
    wanted = topic.lower()
    for command in ctx.router.commands:
        if wanted in (command.keyword, command.alias):
            return command
    raise InvalidInput(
        f"没有“{topic}”这个类别或命令。类别有：{'、'.join(SECTIONS)}；例如：帮助 库存、帮助 入库"
    )
