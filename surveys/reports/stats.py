"""The 90% intervals that METRICS.md "Surveys" puts beside an NPS or CSAT of fewer than 10 responses: pure
functions, so their arithmetic is tested against hand-computed values without a database.

- CSAT %: the Wilson score interval of the share of satisfied responses (score >= 4). Unlike the plain
  normal interval it never leaves 0-100 and is not zero-width at 0 % or 100 %, which small groups often are.
- NPS: the normal approximation over the scores -1 (detractor), 0 (passive), +1 (promoter): mean
  ``(P - D) / n``, variance ``(P + D) / n - mean**2`` (the population variance of those scores), standard
  error ``sqrt(variance / n)``, clipped to -100..100. With one response (or all alike) the variance is 0
  and the interval collapses to the point: that is the approximation's known weakness, and why the pages
  grey such figures rather than trust the interval.
"""

from __future__ import annotations

import math

# Two-sided 90%: the 95th percentile of the standard normal distribution.
Z90 = 1.6448536269514722

SMALL_N = 10  # below this many responses a figure is shown greyed with its interval (METRICS.md)


def wilson_interval(successes: int, n: int, z: float = Z90) -> tuple[float, float] | None:
    """The Wilson interval of ``successes / n`` in percent, or None without responses."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def nps_interval(promoters: int, passives: int, detractors: int, z: float = Z90) -> tuple[float, float] | None:
    """The normal-approximation interval of the NPS (-100..100), or None without responses."""
    n = promoters + passives + detractors
    if n <= 0:
        return None
    mean = (promoters - detractors) / n
    variance = max((promoters + detractors) / n - mean * mean, 0.0)  # max: float rounding below zero
    half = z * math.sqrt(variance / n)
    return 100 * max(-1.0, mean - half), 100 * min(1.0, mean + half)


def small(n: int) -> bool:
    """Whether a figure over ``n`` responses is shown greyed with its interval (0 < n < 10)."""
    return 0 < n < SMALL_N
