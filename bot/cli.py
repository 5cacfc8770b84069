"""``jxc``: the operator's command line (DESIGN §9)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import (
    cli_alerts,
    cli_archive,
    cli_documents,
    cli_ledger,
    cli_money,
    cli_outbox,
    cli_presets,
    cli_recipes,
    cli_reports,
    cli_wecom,
)
from config import ConfigError, load_settings
from core import storage
from core.presets import PRESETS

Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


DATA_DIR_HELP = "where the ledger (jxc.db, unless JXC_DATABASE_URL is set) and the archive live"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jxc", description="JXC Bot — 进销存 in WeCom")
    _data_dir_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True)
    _command(db.add_parser("upgrade", help="create or migrate the schema"), cli_ledger.db_upgrade)

    warehouses = commands.add_parser("warehouses", help="warehouses (stores)")
    wh = warehouses.add_subparsers(required=True)
    add = wh.add_parser("add", help="add a warehouse")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    _command(add, cli_ledger.warehouses_add)
    _command(wh.add_parser("list", help="list warehouses"), cli_ledger.warehouses_list)
    configure = wh.add_parser("set", help="where alerts go, and policy overrides")
    configure.add_argument("code")
    configure.add_argument("--group-chat")
    configure.add_argument("--purchasing-chat")
    configure.add_argument("--webhook-key")
    configure.add_argument("--negative-stock", choices=["approve", "forbid", "allow"])
    configure.add_argument("--approval-threshold")
    configure.add_argument("--mode", choices=["stock", "no-inventory"])
    configure.add_argument("--price-tolerance", help="percent a customer price may be undercut")
    configure.add_argument(
        "--scan-required", choices=["yes", "no"], help="shipping unscanned lines needs a manager"
    )
    configure.add_argument(
        "--over-receipt-tolerance", help="fraction over the order received without approval"
    )
    configure.add_argument(
        "--kit-consumption",
        choices=["backflush", "issue"],
        help="kit sales take their recipe from stock (backflush) or the kitchen works by issue",
    )
    _command(configure, cli_ledger.warehouses_set)

    users = commands.add_parser("users", help="WeCom users and their roles")
    us = users.add_subparsers(required=True)
    user_add = us.add_parser("add", help="bind a WeCom userid to a role")
    user_add.add_argument("userid")
    user_add.add_argument("--name", required=True)
    user_add.add_argument(
        "--role", required=True, choices=["clerk", "purchaser", "manager", "admin", "auditor"]
    )
    user_add.add_argument("--warehouse", action="append", default=[])
    _command(user_add, cli_ledger.users_add)
    _command(us.add_parser("list", help="list users"), cli_ledger.users_list)

    imports = commands.add_parser("import", help="import items or document history")
    im = imports.add_subparsers(required=True)
    for kind in ("items", "documents"):
        sub = im.add_parser(kind, help=f"import {kind} from .csv or .xlsx")
        sub.add_argument("file")
        sub.set_defaults(kind=kind)
        _command(sub, cli_ledger.import_file)
    report = commands.add_parser("report", help="reports over the ledger")
    reports = report.add_subparsers(required=True)
    cli_money.add_parsers(reports, im, _command)
    cli_recipes.add_imports(im, _command)
    cli_recipes.add_parsers(commands, reports, _command)

    stock = commands.add_parser("stock", help="balances with batches and expiry")
    stock.add_argument("query")
    stock.add_argument("--warehouse")
    _command(stock, cli_ledger.stock)

    audit = commands.add_parser("audit", help="ledger integrity").add_subparsers(required=True)
    _command(
        audit.add_parser("verify", help="balances = moves, audit chain intact"),
        cli_ledger.audit_verify,
    )

    archive = commands.add_parser("archive", help="move old documents to an archive database")
    archive.add_argument("--before", required=True, help="shop-local date YYYY-MM-DD")
    archive.add_argument(
        "--archive-url",
        help="default: JXC_ARCHIVE_URL, else schema jxc_archive (PostgreSQL) or archive.db",
    )
    _command(archive, cli_archive.archive)

    one = commands.add_parser("document", help="one document by its number")
    one.add_argument("number")
    one.add_argument("--archive", action="store_true", help="look in the archive too")
    _command(one, cli_documents.document)
    listing = commands.add_parser("documents", help="documents, newest first")
    listing.add_argument("--date", help="shop-local date YYYY-MM-DD")
    listing.add_argument("--archive", action="store_true", help="also list archived documents")
    _command(listing, cli_documents.documents)

    _command(commands.add_parser("serve", help="run the HTTP server and its workers"), _serve)

    sandbox = commands.add_parser(
        "sandbox", help="serve + a built-in fake WeCom, demo data and a local chat page"
    )
    sandbox.add_argument("--host", help="listen address (default: JXC_HTTP_HOST, 127.0.0.1)")
    sandbox.add_argument("--port", type=int, help="listen port (default: JXC_HTTP_PORT, 8080)")
    sandbox.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="seed that industry's demo shop instead of the supermarket (first start only)",
    )
    _command(sandbox, _sandbox)

    cli_alerts.add_parser(commands, _command)
    cli_presets.add_parser(commands, _command)
    cli_outbox.add_parser(commands, _command)
    cli_reports.add_parsers(commands, _command)
    cli_wecom.add_parser(commands, _command)

    bench = commands.add_parser("bench", help="benchmarks: ratios against same-run baselines")
    bench.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    bench.add_argument("--json", help="also write the results to this file")
    bench.add_argument("--pg-url", help="PostgreSQL admin URL (default: start a throwaway one)")
    bench.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these benchmarks (module names: posting, callback, load, …)",
    )
    _command(bench, cli_ledger.bench)
    return parser


async def _serve(args: argparse.Namespace) -> int:
    from bot import server  # the whole application; no other command needs to import it

    return await server.command(args)


async def _sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import command  # the whole application, as for serve

    return await command.command(args)


# These create or migrate the schema themselves (or, for bench, use databases of their own).
PREPARE_THEIR_DATABASE = frozenset({"db_upgrade", "_serve", "_sandbox", "bench", "init_shop"})
# These talk to WeCom only.
NEED_NO_DATABASE = frozenset({"push_menu"})


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the command or after it, neither default overwrites the other.
    parser.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=DATA_DIR_HELP)


def _command(parser: argparse.ArgumentParser, handler: Command) -> None:
    _data_dir_option(parser)
    parser.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"jxc: {error}", file=sys.stderr)
        return 2
    if getattr(args, "data_dir", None) is not None:
        settings = settings.in_data_dir(args.data_dir)
    args.settings = settings
    try:
        code: int = asyncio.run(_run(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) left early: quietly stop, and keep Python's exit-time flush
        # from raising again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


async def _run(args: argparse.Namespace) -> int:
    if args.handler.__name__ not in PREPARE_THEIR_DATABASE | NEED_NO_DATABASE:
        problem = await _unready(args)
        if problem is not None:
            print(f"jxc: {problem}", file=sys.stderr)
            return 2
    code: int = await args.handler(args)
    return code


async def _unready(args: argparse.Namespace) -> str | None:
    """One line on why the command cannot run on this database, and the fix; else None."""
    url = args.settings.database_url
    shown = storage.sqlite_file(url) or make_url(url).render_as_string(hide_password=True)
    try:
        reason = await storage.unready_reason(url)
    except (OSError, SQLAlchemyError) as error:
        return f"cannot open the database {shown}: {type(error).__name__}: {_first_line(error)}"
    if reason is None:
        return None
    return f"the database {shown} {reason}; run: {_upgrade_command(args)}"


def _upgrade_command(args: argparse.Namespace) -> str:
    data_dir = getattr(args, "data_dir", None)
    return "jxc db upgrade" if data_dir is None else f"jxc --data-dir {data_dir} db upgrade"


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:200]


if __name__ == "__main__":
    sys.exit(main())
