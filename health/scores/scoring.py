"""The score of one account on one day from its components, its confidence, its band, and the explanation of
a change (METRICS.md "Health"). Pure functions over plain values: no database, unit-tested.

- score = sum(weight x points) / sum(weight of the components that had data); a component without data is
  left out and its weight redistributed. No component with data: no score (None), confidence 0.
- confidence = sum(weight with data) / sum(all weights).
- band: the band whose lower edge is the highest one the score reaches (edges ``{"red": 0, "yellow": 40,
  "green": 70}`` give red < 40 <= yellow < 70 <= green).
- explanation from day a to day b: per component, contribution = its share on b minus its share on a, where
  share = weight x points / sum(weights with data that day) (0 on a day it had no data). The contributions
  add up exactly to score(b) - score(a): the arithmetic is done in :class:`fractions.Fraction` from the stored
  floats, and :func:`rounded_contributions` rounds them for display so that the rounded parts still add up
  to the rounded change (largest remainder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Part:
    """One component of a day's score: its weight and its points (None = no data that day)."""

    key: str
    weight: float
    points: float | None


@dataclass(frozen=True)
class Score:
    score: float | None
    confidence: float
    effective_weights: dict[str, float]  # weight / sum(weights with data); 0 for a component without data


def _exact_shares(parts: Sequence[Part]) -> tuple[dict[str, Fraction], Fraction]:
    with_data = [p for p in parts if p.points is not None and p.weight > 0]
    total = sum((Fraction(p.weight) for p in with_data), Fraction(0))
    if total == 0:
        return {p.key: Fraction(0) for p in parts}, Fraction(0)
    shares = {p.key: Fraction(0) for p in parts}
    for p in with_data:
        shares[p.key] = Fraction(p.weight) * Fraction(p.points) / total
    return shares, total


def _dyadic_sum(ratios: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The exact sum of numbers given as ``(numerator, denominator)`` whose denominators are powers of two
    (what ``float.as_integer_ratio`` answers): over the largest denominator, which every other one divides,
    so no gcd is ever taken."""
    common = max((d for _, d in ratios), default=1)
    return sum(n * (common // d) for n, d in ratios), common


def score(parts: Sequence[Part]) -> Score:
    """The day's score, confidence and each component's effective weight (METRICS.md).

    Exact, like the explanations, but without :class:`~fractions.Fraction`: every float is a dyadic rational
    (``as_integer_ratio``), so the sums are exact in integers over a power-of-two denominator, and each
    figure is one integer division, which Python rounds correctly — the same float as
    ``float(Fraction(...))`` of the same formula, about ten times faster (the recompute scores every account
    of a tenant every night)."""
    if any(p.weight < 0 for p in parts):
        raise ValueError("weights are not negative")
    weights = {p.key: p.weight.as_integer_ratio() for p in parts}
    all_num, all_den = _dyadic_sum(list(weights.values()))
    with_data = [p for p in parts if p.points is not None and p.weight > 0]
    data_num, data_den = _dyadic_sum([weights[p.key] for p in with_data])
    if data_num == 0:
        return Score(None, 0.0, {p.key: 0.0 for p in parts})
    products = []
    for p in with_data:
        (wn, wd), (pn, pd) = weights[p.key], p.points.as_integer_ratio()
        products.append((wn * pn, wd * pd))
    sum_num, sum_den = _dyadic_sum(products)
    effective = {p.key: (weights[p.key][0] * data_den) / (weights[p.key][1] * data_num)
                 if p.points is not None else 0.0 for p in parts}
    return Score((sum_num * data_den) / (sum_den * data_num), (data_num * all_den) / (data_den * all_num), effective)


def band(value: float | None, edges: Mapping[str, float]) -> str | None:
    """The band of ``value``: the one with the highest lower edge not above it (None for no score)."""
    if value is None:
        return None
    reached = [(edge, name) for name, edge in edges.items() if value >= edge]
    return max(reached)[1] if reached else min((edge, name) for name, edge in edges.items())[1]


def contributions(before: Sequence[Part], after: Sequence[Part]) -> dict[str, Fraction]:
    """Per component, its share of the score on the later day minus its share on the earlier one: exact
    fractions whose sum is exactly score(after) - score(before) (a day without any data counts as 0)."""
    shares_a, _ = _exact_shares(before)
    shares_b, _ = _exact_shares(after)
    keys = list(dict.fromkeys([*(p.key for p in before), *(p.key for p in after)]))
    return {k: shares_b.get(k, Fraction(0)) - shares_a.get(k, Fraction(0)) for k in keys}


def rounded_contributions(exact: Mapping[str, Fraction], digits: int = 1) -> dict[str, float]:
    """The contributions rounded to ``digits`` decimals so that they add up to the rounded total change
    (largest remainder: the parts that lost most to rounding get the missing units)."""
    unit = Fraction(1, 10 ** digits)
    total_units = round(sum(exact.values(), Fraction(0)) / unit)
    floors = {k: (v / unit).__floor__() for k, v in exact.items()}
    missing = total_units - sum(floors.values())
    by_remainder = sorted(exact, key=lambda k: (exact[k] / unit - floors[k], k), reverse=True)
    for k in by_remainder[:max(missing, 0)]:
        floors[k] += 1
    return {k: round(float(floors[k] * unit), digits) for k in exact}
