"""Recipes, kitchen issue and production (DESIGN §10): BOM versions, kits that backflush on
sale, substitutes by priority and ratio, issues to departments, production and usage variance.

Only modules that neither post documents nor read import files are exported here, because
``core.ledger.documents`` itself imports ``core.recipes.backflush`` (and the importer imports
the catalog, which imports the ledger); import ``core.recipes.production``, ``.issue``,
``.usage``, ``.bom_import`` and ``.substitutes`` directly.
"""

from core.recipes.bom import BomComponent, BomVersion, versions_at
from core.recipes.departments import add_department, list_departments, require_department
from core.recipes.kinds import KIND_NAMES, ItemKind

__all__ = [
    "KIND_NAMES",
    "BomComponent",
    "BomVersion",
    "ItemKind",
    "add_department",
    "list_departments",
    "require_department",
    "versions_at",
]
