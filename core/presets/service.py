"""Applying a preset to the shop and reading back what it chose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core import catalog
from core.common import InvalidInput
from core.presets.profiles import PRESETS, Preset
from core.presets.tables import ShopProfile
from core.storage import UnitOfWork

PROFILE_ID = 1


@dataclass(frozen=True)
class Profile:
    preset: str
    hidden_commands: frozenset[str]
    alert_rules: frozenset[str]
    schedules: dict[str, dict[str, str]]
    categories: dict[str, tuple[int, ...]]


def preset_named(name: str) -> Preset:
    if name not in PRESETS:
        raise InvalidInput(f"没有预设 {name}，可选：{'、'.join(PRESETS)}")
    return PRESETS[name]


async def apply_preset(uow: UnitOfWork, actor: str, name: str) -> Preset:
    """Set every warehouse's policy and mode and remember the preset's choices (run again:
    re-set). A warehouse still holding stock is not turned into one without: refused."""
    preset = preset_named(name)
    for warehouse in await catalog.list_warehouses(uow):
        await catalog.configure_warehouse(
            uow,
            actor,
            warehouse.code,
            negative_stock_policy=preset.negative_stock,
            approval_value_threshold=preset.approval_threshold,
            mode=preset.mode,
            kit_consumption=preset.kit_consumption,
        )
    choices: dict[str, Any] = {
        "hidden_commands": list(preset.hidden_commands),
        "alert_rules": list(preset.alert_rules),
        "schedules": {rule: dict(fields) for rule, fields in preset.schedules.items()},
        "categories": {c: list(days) for c, days in preset.categories.items()},
    }
    row = await uow.session.get(ShopProfile, PROFILE_ID)
    if row is None:
        row = ShopProfile(id=PROFILE_ID)
        uow.session.add(row)
    row.preset, row.choices = preset.name, choices
    row.applied_at, row.applied_by = uow.now(), actor
    await uow.session.flush()
    uow.record(actor, "preset.apply", f"preset:{preset.name}", choices)
    return preset


async def current_profile(uow: UnitOfWork) -> Profile | None:
    """The preset the shop was set up with, or None (every command and rule, as before)."""
    row = await uow.session.scalar(select(ShopProfile).where(ShopProfile.id == PROFILE_ID))
    if row is None:
        return None
    choices = row.choices
    return Profile(
        row.preset,
        frozenset(choices["hidden_commands"]),
        frozenset(choices["alert_rules"]),
        {rule: dict(fields) for rule, fields in choices["schedules"].items()},
        {c: tuple(days) for c, days in choices["categories"].items()},
    )
