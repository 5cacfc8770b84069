"""Small robust statistics: median, MAD-scaled distance from peers, a binomial tail."""

from __future__ import annotations

from collections.abc import Sequence

# 1.4826 × MAD estimates a standard deviation for normal data, without letting outliers in.
MAD_TO_SIGMA = 1.4826


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of nothing")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def robust_distance(value: float, peers: Sequence[float], floor: float) -> tuple[float, float]:
    """(peer median, how many robust standard deviations ``value`` lies above it).

    The scale never drops below ``floor``: with few or identical peers the MAD is 0, and a
    tiny difference must not look like a huge one.
    """
    if not peers:
        return 0.0, value / floor
    centre = median(peers)
    spread = MAD_TO_SIGMA * median([abs(p - centre) for p in peers])
    return centre, (value - centre) / max(spread, floor)


def at_least(probabilities: Sequence[float], k: int) -> float:
    """P(at least ``k`` successes) for independent trials with these success probabilities."""
    if k <= 0:
        return 1.0
    exactly = [1.0] + [0.0] * len(probabilities)
    for p in probabilities:
        for n in range(len(exactly) - 1, 0, -1):
            exactly[n] = exactly[n] * (1 - p) + exactly[n - 1] * p
        exactly[0] *= 1 - p
    return min(1.0, sum(exactly[k:]))
