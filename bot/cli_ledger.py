"""The ledger's operator commands: schema, warehouses, users, imports, stock, audit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from config import Settings
from core import audit, catalog, importer, orders, storage
from core.archive import ArchiveDatabase, archive_url
from core.common import DomainError, plain_qty
from core.storage import UnitOfWork, create_engine, create_sessionmaker, in_transaction

T = TypeVar("T")
CLI_ACTOR = "cli"


@asynccontextmanager
async def unit_of_work(settings: Settings, *, archive: bool = False) -> AsyncIterator[UnitOfWork]:
    """A unit of work on the live database in shop time, carrying the archive when ``archive``."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        database = None
        if archive:
            database = ArchiveDatabase.open(archive_url(settings))
            stack.push_async_callback(database.dispose)
        tz = ZoneInfo(settings.timezone)
        yield UnitOfWork(create_sessionmaker(engine), tz=tz, settings=settings, archive=database)


async def _run(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with unit_of_work(settings) as uow:
        return await in_transaction(uow, work)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


async def db_upgrade(args: argparse.Namespace) -> int:
    path = storage.sqlite_file(args.settings.database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(args.settings.database_url)
    try:
        await storage.upgrade(engine)
        print(f"schema at {await storage.current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def warehouses_add(args: argparse.Namespace) -> int:
    try:
        view = await _run(
            args.settings, lambda u: catalog.add_warehouse(u, CLI_ACTOR, args.code, args.name)
        )
    except DomainError as error:
        return _fail(error.message)
    print(f"added {view.code} {view.name}")
    return 0


async def warehouses_list(args: argparse.Namespace) -> int:
    for w in await _run(args.settings, catalog.list_warehouses):
        targets = f"group={w.group_chat_id or '-'} purchasing={w.purchasing_chat_id or '-'}"
        print(f"{w.code}\t{w.name}\t{targets}\twebhook={'set' if w.webhook_key else '-'}")
    return 0


async def warehouses_set(args: argparse.Namespace) -> int:
    threshold = tolerance = price_tolerance = None
    try:
        if args.approval_threshold is not None:
            threshold = Decimal(args.approval_threshold)
        if args.over_receipt_tolerance is not None:
            tolerance = Decimal(args.over_receipt_tolerance)
        if args.price_tolerance is not None:
            price_tolerance = Decimal(args.price_tolerance)
    except InvalidOperation:
        return _fail(
            "--approval-threshold / --over-receipt-tolerance / --price-tolerance: not a number"
        )
    scan_required = None if args.scan_required is None else args.scan_required == "yes"

    async def work(u: UnitOfWork) -> catalog.WarehouseView:
        view = await catalog.configure_warehouse(
            u,
            CLI_ACTOR,
            args.code,
            group_chat_id=args.group_chat,
            purchasing_chat_id=args.purchasing_chat,
            webhook_key=args.webhook_key,
            negative_stock_policy=args.negative_stock,
            approval_value_threshold=threshold,
            mode=None if args.mode is None else args.mode.replace("-", "_"),
            price_tolerance=price_tolerance,
            kit_consumption=args.kit_consumption,
        )
        if scan_required is not None or tolerance is not None:
            await orders.set_rules(
                u,
                CLI_ACTOR,
                args.code,
                scan_required=scan_required,
                over_receipt_tolerance=tolerance,
            )
        return view

    try:
        view = await _run(args.settings, work)
    except DomainError as error:
        return _fail(error.message)
    print(f"updated {view.code}")
    return 0


async def users_add(args: argparse.Namespace) -> int:
    try:
        view = await _run(
            args.settings,
            lambda u: catalog.save_user(
                u, CLI_ACTOR, args.userid, args.name, args.role, args.warehouse
            ),
        )
    except DomainError as error:
        return _fail(error.message)
    print(f"{view.userid} {view.name} {view.role.value} {','.join(view.warehouses)}")
    return 0


async def users_list(args: argparse.Namespace) -> int:
    for u in await _run(args.settings, catalog.list_users):
        state = "" if u.active else "\tinactive"
        print(f"{u.userid}\t{u.name}\t{u.role.value}\t{','.join(u.warehouses)}{state}")
    return 0


async def import_file(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        return _fail(f"no such file: {path}")
    try:
        if args.kind == "items":
            report = await _run(args.settings, lambda u: importer.import_items(u, path, CLI_ACTOR))
            print(f"items: {report.created} created, {report.updated} updated")
        else:
            count = await _run(
                args.settings, lambda u: importer.import_documents(u, path, CLI_ACTOR)
            )
            print(f"documents: {count} imported")
    except DomainError as error:
        return _fail(error.message)
    return 0


async def stock(args: argparse.Namespace) -> int:
    try:
        item = await _run(args.settings, lambda u: orders.stock_of(u, args.query, args.warehouse))
    except DomainError as error:
        return _fail(error.message)
    print(f"{item.sku}\t{item.name}\t{plain_qty(item.on_hand)} {item.unit}")
    for w in item.warehouses:
        print(
            f"  {w.warehouse}\ton hand {plain_qty(w.on_hand)}\t"
            f"reserved {plain_qty(w.reserved + w.ordered)}\tavailable {plain_qty(w.available)}"
        )
        for b in w.batches:
            flag = "\tEXPIRED" if b.expired else ""
            print(f"    lot {b.lot or '-'}\texpiry {b.expiry or '-'}\t{plain_qty(b.qty)}{flag}")
    return 0


async def audit_verify(args: argparse.Namespace) -> int:
    problem = await _run(args.settings, audit.first_problem)
    if problem is not None:
        return _fail(f"FAILED: {problem}")
    print(
        "OK: every balance equals its moves; every partner's balance equals its documents "
        "minus its payments; the audit chain is intact"
    )
    return 0


async def bench(args: argparse.Namespace) -> int:
    # The benchmarks (and their dev-only dependencies) load only when ``jxc bench`` runs.
    from benchmarks import report, runner

    try:
        results = await runner.run(quick=args.quick, pg_url=args.pg_url, only=args.only)
    except ValueError as error:
        print(f"--only: {error}", file=sys.stderr)
        return 2
    print(report.table(results))
    if args.json:
        report.save(results, Path(args.json))
    return 0
