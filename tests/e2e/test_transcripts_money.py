"""The ``test_handlers_money`` transcripts again, end to end: signed, encrypted callbacks in,
the fake WeCom's recorded ``message/send`` out (``chat_factory`` in this folder's conftest).
"""

from tests.integration.test_handlers_money import *  # noqa: F403
