"""The backtest's arithmetic (METRICS.md "Health", backtest): pure functions over (score, churned) pairs, no
database, unit-tested on fixtures computed by hand.

- AUC = probability that a randomly chosen churned observation scored lower than a randomly chosen renewed
  one, ties counting 1/2: the ROC AUC of ``100 - score`` against churn (the Mann-Whitney statistic).
- Its 95% interval is DeLong's (DeLong, DeLong & Clarke-Pearson 1988): the variance of the AUC from the
  per-observation structural components (for a churned observation, the share of renewed ones it is ranked
  below, ties 1/2; and the same the other way), normal approximation, clipped to [0, 1]. Chosen over
  Hanley-McNeil because it uses the observed ranks instead of assuming a distribution of the scores, and
  handles ties. With fewer than 2 observations on either side it has no variance: the interval is None.
- ROC points: (false positive rate, true positive rate) of "at risk when 100 - score >= t", for every distinct
  t from the highest down, from (0, 0) to (1, 1).
- The verdict is "weak" when the evidence cannot tell a score from a coin: fewer than ``MIN_EACH`` churns or
  renewals, or an interval that spans 0.5 (or none); "inverted" when the whole interval is below 0.5 (the
  score ranks churners *higher*); "predictive" when it is above.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
MIN_EACH = 10


@dataclass(frozen=True)
class AucResult:
    auc: float | None
    interval: tuple[float, float] | None
    churned: int
    renewed: int

    @property
    def n(self) -> int:
        return self.churned + self.renewed


def _components(churned: Sequence[float], renewed: Sequence[float]) -> tuple[list[float], list[float]]:
    """DeLong's structural components: per churned score, the share of renewed scores above it (ties 1/2);
    per renewed score, the share of churned scores below it (ties 1/2)."""
    sorted_renewed, sorted_churned = sorted(renewed), sorted(churned)
    n_r, n_c = len(renewed), len(churned)
    v_churned = [(n_r - bisect_right(sorted_renewed, s) + 0.5 * (bisect_right(sorted_renewed, s)
                  - bisect_left(sorted_renewed, s))) / n_r for s in churned]
    v_renewed = [(bisect_left(sorted_churned, s) + 0.5 * (bisect_right(sorted_churned, s)
                  - bisect_left(sorted_churned, s))) / n_c for s in renewed]
    return v_churned, v_renewed


def _variance(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def auc(pairs: Sequence[tuple[float, bool]]) -> AucResult:
    """AUC and DeLong 95% interval of (score, churned) pairs (higher score = healthier)."""
    churned = [s for s, c in pairs if c]
    renewed = [s for s, c in pairs if not c]
    if not churned or not renewed:
        return AucResult(None, None, len(churned), len(renewed))
    v_churned, v_renewed = _components(churned, renewed)
    value = sum(v_churned) / len(churned)
    interval = None
    if len(churned) >= 2 and len(renewed) >= 2:
        se = math.sqrt(_variance(v_churned) / len(churned) + _variance(v_renewed) / len(renewed))
        interval = (max(0.0, value - Z95 * se), min(1.0, value + Z95 * se))
    return AucResult(value, interval, len(churned), len(renewed))


def roc_points(pairs: Sequence[tuple[float, bool]]) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) for each distinct threshold of 100 - score."""
    positives = sum(1 for _, c in pairs if c)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return []
    points, tp, fp = [(0.0, 0.0)], 0, 0
    ordered = sorted(pairs, key=lambda p: p[0])  # lowest score = highest risk first
    for i, (score, churned) in enumerate(ordered):
        tp, fp = tp + churned, fp + (not churned)
        if i + 1 == len(ordered) or ordered[i + 1][0] != score:
            points.append((fp / negatives, tp / positives))
    return points


def verdict(result: AucResult) -> tuple[str, str]:
    """("predictive" | "inverted" | "weak", a sentence saying why) for a page and the API."""
    if result.churned < MIN_EACH or result.renewed < MIN_EACH:
        return "weak", (f"Weak evidence: {result.churned} churns and {result.renewed} renewals; at least {MIN_EACH} "
                        "of each are needed before the AUC means much.")
    low, high = result.interval or (0.0, 1.0)
    if low <= 0.5 <= high:
        return "weak", (f"Weak evidence: the 95% interval ({low:.2f} to {high:.2f}) includes 0.5, a coin toss; "
                        "this history does not show that the score tells churners from renewals.")
    if high < 0.5:
        return "inverted", (f"The score ranks churners above renewals (95% interval {low:.2f} to {high:.2f}, "
                            "below 0.5): its directions or weights look wrong for this history.")
    return "predictive", (f"The score tells churners from renewals better than chance (95% interval {low:.2f} to "
                          f"{high:.2f}).")


@dataclass(frozen=True)
class BandRate:
    band: str
    observations: int
    churned: int

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.observations if self.observations else None


def churn_by_band(pairs: Sequence[tuple[str, bool]], bands: Mapping[str, float]) -> list[BandRate]:
    """Observations and churns per band (lowest band first; every band listed, empty ones with 0)."""
    order = sorted(bands, key=lambda name: bands[name])
    counts = {name: [0, 0] for name in order}
    for band, churned in pairs:
        if band in counts:
            counts[band][0] += 1
            counts[band][1] += churned
    return [BandRate(name, *counts[name]) for name in order]
