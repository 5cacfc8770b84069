"""The reversal anomaly detector: pure functions over ``core.analytics.SalesLine`` facts."""

from notifications.anomaly.activity import Activity, Reversal, build_activity
from notifications.anomaly.detector import Finding, assess, detect

__all__ = ["Activity", "Finding", "Reversal", "assess", "build_activity", "detect"]
