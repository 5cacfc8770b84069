"""Messages in and out, stored in the same transactions as the work they belong to.

``inbox``: received messages, stored once and handled once. ``outbox``: outgoing messages
written with the change that caused them. ``conversation``: what a user's next message
continues. ``alert_state``: what each alert rule last said; ``alert_cards``: the cards
its expiry and low-stock alerts sent, which their buttons act on; ``leases``: which instance runs a
scheduled job; ``queued``: what a user has waiting, asked in one statement by the read lane.
They are exported as namespaces (they share names such as ``status_counts``);
writing to the outbox is also exported by name, as every alert rule does it.
"""

from __future__ import annotations

from core.messaging import alert_cards, alert_state, conversation, inbox, leases, outbox, queued
from core.messaging.outbox import enqueue, markdown_payload, text_payload

__all__ = [
    "alert_cards",
    "alert_state",
    "conversation",
    "enqueue",
    "inbox",
    "leases",
    "markdown_payload",
    "outbox",
    "queued",
    "text_payload",
]
