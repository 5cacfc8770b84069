"""The ``test_handlers_conversations`` transcripts again, end to end: signed, encrypted
callbacks in, the fake WeCom's recorded ``message/send`` out (see ``chat_factory``).
"""

# The transcripts shared with the integration module, run over the wire here (with the
# fixtures they use).
from tests.integration.test_handlers_conversations import (
    chat,
    test_ambiguous_name_is_picked_by_number_then_forgotten,
    test_document_pages_continue_until_the_end_and_expire,
)

__all__ = [
    "chat",
    "test_ambiguous_name_is_picked_by_number_then_forgotten",
    "test_document_pages_continue_until_the_end_and_expire",
]
