"""Timing a call many times and summarising it the way the scale benchmarks report it."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    samples_ms: tuple[float, ...]

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile: with 100 samples p99 is the second slowest, not a blend."""
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def text(self) -> str:
        return f"p50 {self.p50:.2f} p99 {self.p99:.2f} ms"

    def raw(self) -> dict[str, float | int]:
        return {
            "p50_ms": round(self.p50, 4),
            "p99_ms": round(self.p99, 4),
            "n": len(self.samples_ms),
        }


async def sample(call: Callable[[int], Awaitable[object]], count: int, warmup: int = 3) -> Latency:
    """``call(n)`` for n in 0..count-1, timed one by one, after untimed warm-up calls
    (n = count..count+warmup-1) that fill the connection pool and the statement caches."""
    for n in range(count, count + warmup):
        await call(n)
    samples = []
    for n in range(count):
        started = time.perf_counter()
        await call(n)
        samples.append((time.perf_counter() - started) * 1000)
    return Latency(tuple(samples))


def ratio(project: float, baseline: float) -> float:
    return project / baseline if baseline > 0 else math.inf
