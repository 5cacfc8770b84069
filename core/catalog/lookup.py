"""Looking things up: items (by sku, barcode, name), warehouses by code, partners by name.

Lookups by sku and warehouse code are memoised in the session (one transaction): the ORM's
identity map only short-cuts lookups by primary key, and imports ask thousands of times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select

from core.common import AmbiguousItem, InvalidInput, ItemView, NotFound, UnknownItem
from core.storage import Item, Partner, ReadStatement, UnitOfWork, Warehouse

DEFAULT_WAREHOUSE = "MAIN"
_ITEMS_BY_SKU = select(Item).where(Item.sku.in_(bindparam("skus", expanding=True)))
# What a view of an item holds, and its id: read as plain rows where no ORM object is needed
# (the ORM's loading costs as much as the query).
_VIEW_COLUMNS = (
    Item.id,
    Item.sku,
    Item.name,
    Item.unit,
    Item.barcode,
    Item.price,
    Item.cost,
    Item.category,
    Item.shelf_life_days,
    Item.reorder_point,
)


def _exact_matches(*columns: Any) -> Select[Any]:
    """Sku, barcode or exact name in one indexed query; ``_resolve`` applies that priority."""
    query: BindParameter[str] = bindparam("query")
    return (
        select(*columns)
        .where(or_(Item.sku == query, Item.barcode == query, Item.name == query))
        .order_by(Item.sku)
        .limit(50)
    )


def _fragment_matches(*columns: Any) -> Select[Any]:
    pattern: BindParameter[str] = bindparam("pattern")
    return (
        select(*columns)
        .where(or_(Item.name.like(pattern, escape="\\"), Item.sku.like(pattern, escape="\\")))
        .order_by(Item.name)
        .limit(11)
    )


_EXACT_MATCHES = _exact_matches(Item)
_FRAGMENT_MATCHES = _fragment_matches(Item)
_EXACT_ROWS = ReadStatement(_exact_matches(*_VIEW_COLUMNS))
_FRAGMENT_ROWS = ReadStatement(_fragment_matches(*_VIEW_COLUMNS))


async def item_by_sku(uow: UnitOfWork, sku: str) -> Item:
    cache = await items_by_sku(uow, [sku])
    if sku not in cache:
        raise NotFound(f"没有编码为 {sku} 的商品")
    return cache[sku]


async def items_by_sku(uow: UnitOfWork, skus: Collection[str]) -> dict[str, Item]:
    """The session's memo of items by sku, with ``skus`` looked up in one query if new."""
    cache: dict[str, Item] = uow.session.info.setdefault("items_by_sku", {})
    missing = [sku for sku in skus if sku not in cache]
    if missing:
        found = await uow.session.scalars(_ITEMS_BY_SKU, {"skus": missing})
        cache.update((item.sku, item) for item in found)
    return cache


async def resolve_item(uow: UnitOfWork, query: str) -> Item:
    """Find one item by sku, barcode, exact name, or a name fragment that matches only one."""

    async def run(statement: Select[Any], values: dict[str, str]) -> Sequence[Item]:
        return (await uow.session.scalars(statement, values)).all()

    return await _resolve(query, run, _EXACT_MATCHES, _FRAGMENT_MATCHES)


class _Named(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def barcode(self) -> str | None: ...
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)
S = TypeVar("S")


async def _resolve(
    query: str,
    run: Callable[[S, dict[str, str]], Awaitable[Sequence[N]]],
    exact_matches: S,
    fragment_matches: S,
) -> N:
    query = query.strip()
    if not query:
        raise InvalidInput("请写出商品名称、编码或条码，例如：查 可乐")
    exact = await run(exact_matches, {"query": query})
    for attribute in ("sku", "barcode", "name"):
        found = [item for item in exact if getattr(item, attribute) == query]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousItem(query, [(i.sku, i.name) for i in found[:10]])
    matches = await run(fragment_matches, {"pattern": f"%{_escape_like(query)}%"})
    if not matches:
        raise UnknownItem(f"没有找到商品“{query}”。请检查名称，或发送 查 加商品编码/条码")
    if len(matches) > 1:
        raise AmbiguousItem(query, [(i.sku, i.name) for i in matches[:10]])
    return matches[0]


async def resolve_item_with_id(uow: UnitOfWork, query: str) -> tuple[int, ItemView]:
    """``resolve_item``'s item as its id and view, read as a plain row (no ORM object)."""
    connection = await uow.read_connection()

    async def run(statement: ReadStatement, values: dict[str, str]) -> Sequence[Any]:
        return await statement.rows(connection, values)

    row = await _resolve(query, run, _EXACT_ROWS, _FRAGMENT_ROWS)
    view = ItemView(
        row.sku,
        row.name,
        row.unit,
        row.barcode,
        row.price,
        row.cost,
        row.category,
        row.shelf_life_days,
        row.reorder_point,
    )
    return row.id, view


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def warehouse_by_code(uow: UnitOfWork, code: str) -> Warehouse:
    key = code.strip().upper()
    cache: dict[str, Warehouse] = uow.session.info.setdefault("warehouses_by_code", {})
    if key not in cache:
        warehouse = await uow.session.scalar(
            select(Warehouse).where(func.upper(Warehouse.code) == key)
        )
        if warehouse is None:
            raise NotFound(f"没有代码为 {code} 的仓库/门店")
        cache[key] = warehouse
    return cache[key]


async def partner_named(uow: UnitOfWork, kind: str, name: str | None) -> Partner | None:
    """The customer or supplier with that name (or one that is both), created on first use."""
    if not name:
        return None
    partner = await uow.session.scalar(
        select(Partner)
        .where(Partner.kind.in_((kind, "both")), Partner.name == name)
        .order_by(Partner.id)
        .limit(1)
    )
    if partner is None:
        partner = Partner(kind=kind, name=name)
        uow.session.add(partner)
        await uow.session.flush()
        partner.code = f"{'C' if kind == 'customer' else 'S'}N{partner.id:05d}"
        await uow.session.flush()
    return partner


def item_view(item: Item) -> ItemView:
    return ItemView(
        item.sku,
        item.name,
        item.unit,
        item.barcode,
        item.price,
        item.cost,
        item.category,
        item.shelf_life_days,
        item.reorder_point,
    )


async def item_view_by_sku(uow: UnitOfWork, sku: str) -> ItemView:
    return item_view(await item_by_sku(uow, sku))


async def resolve_item_view(uow: UnitOfWork, query: str) -> ItemView:
    """``resolve_item``, as a view for callers outside core."""
    _, view = await resolve_item_with_id(uow, query)
    return view


async def warehouse_code(uow: UnitOfWork, code: str) -> str:
    """The code of the warehouse ``code`` names (``NotFound`` when none does)."""
    return (await warehouse_by_code(uow, code)).code
