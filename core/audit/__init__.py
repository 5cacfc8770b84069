"""The hash-chained operation log and ``jxc audit verify``.

``chain`` links each entry to the one before it at commit time; ``verify`` checks that every
balance equals its moves and that the chain is unbroken.
"""

from __future__ import annotations

from core.audit.chain import (
    GENESIS,
    HEAD_ID,
    HEADS,
    LOG,
    Entry,
    append,
    canonical,
    chain_hash,
)
from core.audit.verify import (
    AUDIT_BATCH,
    Problem,
    audit_problem,
    balance_problem,
    first_problem,
)

__all__ = [
    "AUDIT_BATCH",
    "GENESIS",
    "HEADS",
    "HEAD_ID",
    "LOG",
    "Entry",
    "Problem",
    "append",
    "audit_problem",
    "balance_problem",
    "canonical",
    "chain_hash",
    "first_problem",
]
