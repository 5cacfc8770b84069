"""Messages in and out, stored in the same transactions as the work they belong to.

``inbox``: received messages, stored once and handled once. ``outbox``: outgoing messages
written with the change that caused them. ``alert_state``: what each alert rule last said.
They are exported as namespaces (they share names such as ``status_counts`` and ``PENDING``);
writing to the outbox is also exported by name, as every alert rule does it.
"""

from __future__ import annotations

from core.messaging import alert_state, inbox, outbox
from core.messaging.outbox import enqueue, markdown_payload, text_payload

__all__ = ["alert_state", "enqueue", "inbox", "markdown_payload", "outbox", "text_payload"]
