"""Prometheus metrics of one app, in a registry of its own (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.callbacks = Counter(
            "jxc_callbacks",
            "WeCom callbacks by result (accepted, duplicate, or the reason for refusing)",
            ["result"],
            registry=self.registry,
        )
        self.handling_seconds = Histogram(
            "jxc_inbox_handling_seconds",
            "Time to handle one received message and commit its replies",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "jxc_outbox_backlog", "Outbox rows waiting to be delivered", registry=self.registry
        )
        self.deliveries = Counter(
            "jxc_deliveries",
            "Outbox delivery attempts by result (sent, retry, dead, deferred)",
            ["result"],
            registry=self.registry,
        )

    def callback(self, result: str) -> None:
        self.callbacks.labels(result).inc()

    def delivery(self, result: str) -> None:
        self.deliveries.labels(result).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
