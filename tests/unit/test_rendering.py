"""Chat replies and alerts are rendered by one environment factory: a filter means one thing."""

from __future__ import annotations

from decimal import Decimal

from handlers import render as replies
from notifications import render as alerts
from rendering import qty


def test_replies_and_alerts_share_every_filter() -> None:
    assert replies.environment().filters == alerts.environment().filters


def test_qty_drops_trailing_zeros_and_adds_the_unit_when_given() -> None:
    assert qty(Decimal("24.0000")) == "24"
    assert qty(Decimal("1.5000"), "kg") == "1.5 kg"
    template = "{{ n|qty }} / {{ n|qty('瓶') }}"
    for env in (replies.environment(), alerts.environment()):
        assert env.from_string(template).render(n=Decimal("3.000")) == "3 / 3 瓶"
