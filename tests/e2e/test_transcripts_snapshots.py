"""The ``test_handlers_snapshots`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_snapshots import (
    chat,
    database_url,
    test_document_and_approval_snapshots,
    test_help_snapshots,
    test_posting_snapshots,
    test_refusal_snapshots,
)

__all__ = [
    "chat",
    "database_url",
    "test_document_and_approval_snapshots",
    "test_help_snapshots",
    "test_posting_snapshots",
    "test_refusal_snapshots",
]
