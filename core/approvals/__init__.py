"""The second person's say (DESIGN §5): approval requests, their decisions, price changes.

Requests are records (``records``) holding what the document saw (``pending``); decisions move
them through pending → approved | rejected | expired | conflicted | cancelled; ``notices``
keeps each request's approval cards in step through the outbox.
"""

from __future__ import annotations

from core.approvals.decisions import (
    APPROVED,
    CANCELLED,
    CONFLICTED,
    DOCUMENT_STATUS,
    EXPIRED,
    REJECTED,
    Decision,
    cancel,
    decide,
    expire_due,
    explain_rejection,
)
from core.approvals.notices import (
    card_key,
    refresh_cards,
    update_cards,
)
from core.approvals.pending import (
    AskedNow,
    asked_now,
    balances_changed_since,
    seen_versions,
    stock_changes,
)
from core.approvals.prices import (
    apply_price_change,
    item_changed_since,
    request_price_change,
)
from core.approvals.recheck import (
    Recheck,
    Verdict,
    recheck,
    stock_changed,
)
from core.approvals.records import (
    APPROVAL_LOAD,
    PENDING,
    SUBJECT_NAMES,
    approval_view,
    by_idempotency_key,
    load,
    load_view,
    open_request,
    open_requests,
)

__all__ = [
    "APPROVAL_LOAD",
    "APPROVED",
    "CANCELLED",
    "CONFLICTED",
    "DOCUMENT_STATUS",
    "EXPIRED",
    "PENDING",
    "REJECTED",
    "SUBJECT_NAMES",
    "AskedNow",
    "Decision",
    "Recheck",
    "Verdict",
    "apply_price_change",
    "approval_view",
    "asked_now",
    "balances_changed_since",
    "by_idempotency_key",
    "cancel",
    "card_key",
    "decide",
    "expire_due",
    "explain_rejection",
    "item_changed_since",
    "load",
    "load_view",
    "open_request",
    "open_requests",
    "recheck",
    "refresh_cards",
    "request_price_change",
    "seen_versions",
    "stock_changed",
    "stock_changes",
    "update_cards",
]
