"""The ``test_handlers_conversations`` transcripts again, end to end: signed, encrypted
callbacks in, the fake WeCom's recorded ``message/send`` out (see ``chat_factory``).
"""

from tests.integration.test_handlers_conversations import *  # noqa: F403
