"""The ``test_handlers_orders`` transcripts again, end to end: orders, picking and receiving by
real signed ``scancode_waitmsg`` events from the fake WeCom (``chat_factory`` in this folder's
conftest), replies read from its ``message/send``.
"""

from tests.integration.test_handlers_orders import *  # noqa: F403
