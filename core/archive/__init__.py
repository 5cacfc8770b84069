"""``jxc archive``: old documents moved to an archive database and read back from it.

The archive database (a SQLite file or a PostgreSQL schema), the move itself with its
carried-forward 期初 documents, and reading archived documents back.
"""

from __future__ import annotations

from core.archive.carry_forward import (
    ACTOR,
    COST_PLACES,
    BalanceKey,
    Carry,
    add_carry,
    carry_forward,
    cutoff,
    opening_number,
)
from core.archive.database import (
    DEFAULT_SCHEMA,
    SCHEMA_NAME,
    SQLITE_FILE,
    ArchiveDatabase,
    archive_url,
    is_live,
)
from core.archive.move import (
    COUNTED,
    DOCUMENTS_PER_CHUNK,
    REFERENCE_TABLES,
    ROWS_PER_INSERT,
    ArchiveReport,
    Progress,
    archive_before,
)
from core.archive.reader import (
    FoundDocument,
    archived_documents,
    find_document,
)

__all__ = [
    "ACTOR",
    "COST_PLACES",
    "COUNTED",
    "DEFAULT_SCHEMA",
    "DOCUMENTS_PER_CHUNK",
    "REFERENCE_TABLES",
    "ROWS_PER_INSERT",
    "SCHEMA_NAME",
    "SQLITE_FILE",
    "ArchiveDatabase",
    "ArchiveReport",
    "BalanceKey",
    "Carry",
    "FoundDocument",
    "Progress",
    "add_carry",
    "archive_before",
    "archive_url",
    "archived_documents",
    "carry_forward",
    "cutoff",
    "find_document",
    "is_live",
    "opening_number",
]
