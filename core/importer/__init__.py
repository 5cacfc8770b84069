"""Bulk imports: the item catalogue and the document history of an old system.

Both are all-or-nothing: every row is checked first, errors are reported with their line
numbers, and nothing is written unless every row is good. Other packages' files (BOMs,
substitutes) are read and checked with the same rows and errors.
"""

from core.common import ImportFailed
from core.importer.history import import_documents
from core.importer.items import ItemImport, import_items
from core.importer.rows import RowErrors, decimal_text
from core.importer.tables import Row, read_rows

__all__ = [
    "ImportFailed",
    "ItemImport",
    "Row",
    "RowErrors",
    "decimal_text",
    "import_documents",
    "import_items",
    "read_rows",
]
