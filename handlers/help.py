"""帮助: the commands this user's role may use, one line each with an example."""

from __future__ import annotations

from handlers.router import ANY, Context, Reply, Router

router = Router()


@router.command("帮助", "help", roles=ANY)
async def show_help(ctx: Context, args: str) -> Reply:
    """列出你能用的命令。例：帮助"""
    commands = [c for c in ctx.router.commands if ctx.user.role in c.roles]
    return ctx.render("help/commands.j2", user=ctx.user, commands=commands)
