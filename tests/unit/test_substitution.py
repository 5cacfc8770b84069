"""``split_need``: substitutes in priority order at their ratio, and how quantities round."""

from __future__ import annotations

from decimal import Decimal

from core.ledger import SubstituteOption, split_need
from core.storage import Item


def item(sku: str, precision: int) -> Item:
    return Item(sku=sku, name=sku, unit="u", unit_precision=precision)


FLOUR, STRONG, WHOLE, EGG, DUCK = (
    item("FLOUR", 3),
    item("STRONG", 3),
    item("WHOLE", 3),
    item("EGG", 0),
    item("DUCK", 0),
)


def test_substitutes_cover_the_shortfall_in_order_at_their_ratio() -> None:
    stock = {FLOUR: Decimal(5), STRONG: Decimal(8), WHOLE: Decimal(100)}
    options = (
        SubstituteOption(STRONG, Decimal(1), False),
        SubstituteOption(WHOLE, Decimal("1.2"), True),
    )
    own, used = split_need(FLOUR, Decimal("25.5"), options, stock.__getitem__)
    assert own == 5
    assert [(u.substitute.sku, u.covered, u.used, u.needs_approval) for u in used] == [
        ("STRONG", 8, 8, False),
        ("WHOLE", Decimal("12.5"), Decimal("15"), True),
    ]


def test_what_no_substitute_covers_stays_on_the_component() -> None:
    stock = {FLOUR: Decimal(2), STRONG: Decimal(3)}
    options = (SubstituteOption(STRONG, Decimal(1), False),)
    own, used = split_need(FLOUR, Decimal(10), options, stock.__getitem__)
    assert own == 7  # 2 on hand + 5 short, for the negative-stock policy to judge
    assert used[0].used == 3


def test_production_rounds_up_to_whole_units_and_a_dish_keeps_four_places() -> None:
    stock = {EGG: Decimal(0), DUCK: Decimal(10)}
    options = (SubstituteOption(DUCK, Decimal("1.5"), False),)
    own, used = split_need(EGG, Decimal("1.05"), options, stock.__getitem__, in_units=True)
    assert (own, used[0].used) == (0, 2)  # 1.575 ducks → 2 whole ones
    own, used = split_need(EGG, Decimal("1.05"), options, stock.__getitem__)
    assert (own, used[0].used) == (0, Decimal("1.575"))
