"""Recipes, kitchen issue and production (DESIGN §10): BOM versions, kits that backflush on
sale, substitutes by priority and ratio, issues to departments, production and usage variance.

Only modules that do not post documents are exported here, because ``core.documents`` itself
imports ``core.recipes.backflush``; import ``core.recipes.production``, ``.issue`` and
``.usage`` directly.
"""

from core.recipes.bom import BomComponent, BomVersion, versions_at
from core.recipes.bom_import import BomImport, import_bom, load_bom
from core.recipes.departments import add_department, list_departments, require_department
from core.recipes.kinds import KIND_NAMES, ItemKind
from core.recipes.substitutes import import_substitutes, load_substitutes

__all__ = [
    "KIND_NAMES",
    "BomComponent",
    "BomImport",
    "BomVersion",
    "ItemKind",
    "add_department",
    "import_bom",
    "import_substitutes",
    "list_departments",
    "load_bom",
    "load_substitutes",
    "require_department",
    "versions_at",
]
