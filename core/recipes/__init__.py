"""Recipes, kitchen issue and production (DESIGN §10): BOM versions, kits that backflush on
sale, substitutes by priority and ratio, issues to departments, production and usage variance.

Its namespaces: ``bom_import`` and ``substitutes`` (the recipe files), ``issue`` (to a
department), ``production``, ``recipe_view`` (配方 replies) and ``usage`` (usage variance);
``kitchen_moves`` are the facts the issue anomaly rule judges.
"""

from core.recipes import bom_import, issue, production, recipe_view, substitutes, usage
from core.recipes.backflush import attach_parts
from core.recipes.bom import BomComponent, BomVersion, versions_at
from core.recipes.departments import add_department, list_departments, require_department
from core.recipes.issued import DepartmentUse, IssuedItem, issued_by_department
from core.recipes.kitchen import KitchenMove, kitchen_moves
from core.recipes.pending import PENDING_TYPES, held_by_pending, parts_of_kits
from core.recipes.tables import Bom, BomLine, ProductionUse, SubstituteRule

__all__ = [
    "PENDING_TYPES",
    "Bom",
    "BomComponent",
    "BomLine",
    "BomVersion",
    "DepartmentUse",
    "IssuedItem",
    "KitchenMove",
    "ProductionUse",
    "SubstituteRule",
    "add_department",
    "attach_parts",
    "bom_import",
    "held_by_pending",
    "issue",
    "issued_by_department",
    "kitchen_moves",
    "list_departments",
    "parts_of_kits",
    "production",
    "recipe_view",
    "require_department",
    "substitutes",
    "usage",
    "versions_at",
]
