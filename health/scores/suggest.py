"""Suggested weights (issue 14): a regularized logistic regression of churn on every candidate input, fitted
with scikit-learn on the backtest's observations, cross-validated by account, and turned into a scorecard
definition. No database: the observations come from health.scores.backtests.selectors.

- Candidates: every component a tenant can configure, the feature-category one once per category of the
  tenant's catalog, and tenure. Days to renewal is left out: at a renewal event it is about h for everyone,
  and it is read from the account's *current* renewal date (health.scores.inputs), which would leak the outcome.
  A candidate with fewer than 2 distinct observed values is dropped (nothing to learn from).
- Missing inputs: median-imputed, and each candidate with any missing value gets a 0/1 "missing" indicator
  column (SimpleImputer(add_indicator=True)), so that "no data" can carry its own risk instead of pretending
  to be the median. Then every column is standardized (StandardScaler), so the L2-penalized coefficients
  (C = 1, class_weight="balanced" since churns are few) are comparable.
- Directions come from the sign of each standardized coefficient, never assumed: a negative coefficient (more
  of the input, less churn) means "higher is better", a positive one "lower is better".
- Cross-validated AUC: out-of-fold predictions from GroupKFold by account (one account never in both a
  training and a test fold), up to 5 folds, pooled and scored with health.scores.backtest.auc.
- The definition: weights proportional to |coefficient| (indicators excluded: a scorecard already leaves a
  missing input out), coefficients under 5% of the largest dropped as near zero, rounded to whole weights
  summing to exactly 100 (largest remainder); each component a ramp over its observed range (5th to 95th
  percentile, so one outlier does not flatten it) in the learned direction; the current scorecard's bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from health.scores import backtest
from health.scores.components import COMPONENTS
from health.scores.compute import CATEGORY_KEY
from health.scores.inputs import AccountInputs

NOT_CANDIDATES = {CATEGORY_KEY, "days_to_renewal"}
NEAR_ZERO = 0.05  # of the largest |coefficient|
MAX_FOLDS = 5
REGULARIZATION_C = 1.0


@dataclass(frozen=True)
class Candidate:
    key: str
    category: str = ""

    @property
    def name(self) -> str:
        return f"{self.key}:{self.category}" if self.category else self.key

    @property
    def label(self) -> str:
        return COMPONENTS[self.key].label + (f" ({self.category})" if self.category else "")

    def value(self, inputs: AccountInputs) -> float | None:
        return inputs.per_category.get(self.category) if self.category else inputs.values.get(self.key)


def candidates(categories: Sequence[str]) -> list[Candidate]:
    return ([Candidate(k) for k in COMPONENTS if k not in NOT_CANDIDATES]
            + [Candidate(CATEGORY_KEY, c) for c in sorted(set(categories))])


@dataclass
class SuggestedWeight:
    candidate: Candidate
    coefficient: float
    direction: str
    weight: int
    low: float
    high: float


@dataclass
class Suggestion:
    weights: list[SuggestedWeight]
    coefficients: dict[str, float]  # every candidate fitted, by name (dropped ones included)
    cv: backtest.AucResult | None
    folds: int
    definition: dict | None
    note: str = ""
    dropped: list[str] = field(default_factory=list)


def _matrix(rows: Sequence[AccountInputs], chosen: Sequence[Candidate]) -> np.ndarray:
    return np.array([[math.nan if (v := c.value(r)) is None else float(v) for c in chosen] for r in rows], dtype=float)


def _model() -> Callable:
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler(),
                         LogisticRegression(C=REGULARIZATION_C, class_weight="balanced", max_iter=2000))


def grouped_folds(groups: Sequence[int], churned: Sequence[bool]) -> list[tuple[np.ndarray, np.ndarray]]:
    """GroupKFold splits (train, test) by account; only those whose training part holds both outcomes."""
    n = min(MAX_FOLDS, len(set(groups)))
    if n < 2:
        return []
    y = np.asarray(churned, dtype=int)
    splits = GroupKFold(n_splits=n).split(np.zeros(len(y)), y, np.asarray(groups))
    return [(train, test) for train, test in splits if 0 < y[train].sum() < len(train)]


def cross_validated(x: np.ndarray, y: np.ndarray, groups: Sequence[int]) -> tuple[backtest.AucResult | None, int]:
    folds = grouped_folds(groups, y.astype(bool))
    if not folds:
        return None, 0
    pairs = []
    for train, test in folds:
        risk = _model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        pairs.extend((1.0 - r, bool(c)) for r, c in zip(risk, y[test], strict=True))
    return backtest.auc(pairs), len(folds)


def whole_weights(magnitudes: Sequence[float], total: int = 100) -> list[int]:
    """Whole numbers proportional to ``magnitudes`` summing to ``total`` (largest remainder)."""
    share = sum(magnitudes)
    exact = [total * m / share for m in magnitudes]
    floors = [math.floor(e) for e in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)[:total - sum(floors)]:
        floors[i] += 1
    return floors


def _ramp(values: np.ndarray) -> tuple[float, float] | None:
    observed = values[~np.isnan(values)]
    low, high = (float(v) for v in np.percentile(observed, [5, 95]))
    if not low < high:
        low, high = float(observed.min()), float(observed.max())
    return (low, high) if low < high else None


def suggest(rows: Sequence[AccountInputs], churned: Sequence[bool], groups: Sequence[int], *,
            categories: Sequence[str], bands: dict) -> Suggestion:
    """The fit, its grouped cross-validated AUC and the scorecard definition it suggests."""
    y = np.asarray(churned, dtype=int)
    if len(rows) < 4 or y.sum() < 2 or y.sum() > len(y) - 2:
        return Suggestion([], {}, None, 0, None, "Too few churns or renewals to fit weights.")
    everything = candidates(categories)
    x_all = _matrix(rows, everything)
    keep = [i for i in range(len(everything)) if len(np.unique(x_all[:, i][~np.isnan(x_all[:, i])])) >= 2]
    dropped = [everything[i].name for i in range(len(everything)) if i not in keep]
    if not keep:
        return Suggestion([], {}, None, 0, None, "No input varies across the observations.", dropped)
    chosen, x = [everything[i] for i in keep], x_all[:, keep]
    cv, folds = cross_validated(x, y, groups)
    coefficients = _model().fit(x, y).named_steps["logisticregression"].coef_[0][:len(chosen)]
    largest = float(np.max(np.abs(coefficients)))
    kept = []
    for j, (candidate, coefficient) in enumerate(zip(chosen, coefficients, strict=True)):
        ramp = _ramp(x[:, j])
        if largest > 0 and abs(coefficient) >= NEAR_ZERO * largest and ramp:
            kept.append((candidate, float(coefficient), ramp))
    weights = whole_weights([abs(c) for _, c, _ in kept]) if kept else []
    suggested = [SuggestedWeight(candidate, c, "lower" if c > 0 else "higher", w, *ramp)
                 for (candidate, c, ramp), w in zip(kept, weights, strict=True) if w > 0]
    definition = {"components": [
        {"key": s.candidate.key, "category": s.candidate.category, "weight": s.weight,
         "mapping": {"kind": "ramp", "low": s.low, "high": s.high, "direction": s.direction}} for s in suggested],
        "bands": bands} if suggested else None
    return Suggestion(suggested, {c.name: float(v) for c, v in zip(chosen, coefficients, strict=True)}, cv, folds,
                      definition, "" if suggested else "Every coefficient is near zero: no weights to suggest.",
                      dropped)
