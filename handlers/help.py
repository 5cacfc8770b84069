"""帮助: the commands this user's role may use, one line each with an example; the shop's
preset (``jxc init --preset``) may leave some out to keep the list short.
"""

from __future__ import annotations

from core import presets
from handlers import money
from handlers.router import ANY, Context, Reply, Router

router = Router()


@router.command("帮助", "help", roles=ANY)
async def show_help(ctx: Context, args: str) -> Reply:
    """列出你能用的命令。例：帮助"""
    profile = await presets.current_profile(ctx.uow)
    hidden = frozenset() if profile is None else profile.hidden_commands
    hidden |= await money.hidden_in_help(ctx)
    commands = [
        c for c in ctx.router.commands if ctx.user.role in c.roles and c.keyword not in hidden
    ]
    return ctx.render("help/commands.j2", user=ctx.user, commands=commands)
