"""The backtest's arithmetic on fixtures computed by hand (AUC with ties, DeLong's interval, ROC points,
verdicts, churn per band) and the suggested-weights fit (a reversed direction recovered, grouped folds never
sharing an account, whole weights summing to 100)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from health.scores import backtest, suggest
from health.scores.definitions import clean_definition
from health.scores.inputs import AccountInputs

# churned 10 and 50, renewed 30, 50 and 90: of the 6 (churned, renewed) pairs, 10 is below all three, 50 is
# above 30, tied with 50 (1/2) and below 90: (3 + 1.5) / 6 = 0.75.
PAIRS = [(10.0, True), (50.0, True), (30.0, False), (50.0, False), (90.0, False)]


def test_auc_counts_ties_as_a_half_and_matches_the_roc_auc_of_100_minus_score():
    result = backtest.auc(PAIRS)
    assert result.auc == pytest.approx(0.75)
    assert (result.churned, result.renewed) == (2, 3)
    assert result.auc == pytest.approx(roc_auc_score([c for _, c in PAIRS], [100 - s for s, _ in PAIRS]))


def test_delong_interval_by_hand():
    # components: churned (1, 0.5), renewed (0.5, 0.75, 1); variances 0.125 and 0.0625;
    # var(AUC) = 0.125 / 2 + 0.0625 / 3 = 1/12.
    low, high = backtest.auc(PAIRS).interval
    assert low == pytest.approx(0.75 - 1.959963984540054 * (1 / 12) ** 0.5)
    assert high == 1.0  # clipped


def test_all_tied_is_a_coin_and_one_sided_data_has_no_auc():
    assert backtest.auc([(50.0, True), (50.0, False)]).auc == 0.5
    assert backtest.auc([(50.0, True), (50.0, False)]).interval is None
    assert backtest.auc([(50.0, False), (60.0, False)]).auc is None
    assert backtest.roc_points([(50.0, False)]) == []


def test_roc_points_one_per_distinct_threshold():
    assert backtest.roc_points(PAIRS) == [(0.0, 0.0), (0.0, 0.5), (pytest.approx(1 / 3), 0.5),
                                          (pytest.approx(2 / 3), 1.0), (1.0, 1.0)]


def test_verdicts_say_weak_evidence_plainly():
    assert backtest.verdict(backtest.auc(PAIRS))[0] == "weak"  # too few of each
    separated = [(float(i), True) for i in range(12)] + [(50.0 + i, False) for i in range(12)]
    assert backtest.verdict(backtest.auc(separated))[0] == "predictive"
    reversed_ = [(100.0 - s, c) for s, c in separated]
    assert backtest.verdict(backtest.auc(reversed_))[0] == "inverted"
    rng = random.Random(3)
    coin = [(rng.uniform(0, 100), i % 2 == 0) for i in range(40)]
    kind, note = backtest.verdict(backtest.auc(coin))
    assert kind == "weak" and "includes 0.5" in note


def test_churn_by_band_lists_every_band_lowest_first():
    rates = backtest.churn_by_band([("red", True), ("red", False), ("green", False)],
                                   {"red": 0, "yellow": 40, "green": 70})
    assert [(r.band, r.observations, r.churned, r.churn_rate) for r in rates] == [
        ("red", 2, 1, 0.5), ("yellow", 0, 0, None), ("green", 1, 0, 0.0)]


def _rows(n_accounts: int, seed: int):
    """Two observations per account. Churners file *more* tickets per seat and use fewer seats; NPS is noise
    and missing for a third of them."""
    rng = random.Random(seed)
    rows, churned, groups = [], [], []
    for account in range(n_accounts):
        risky = account % 3 == 0
        for k in range(2):
            values = {"tickets_per_seat": rng.gauss(1.5 if risky else 0.5, 0.3),
                      "license_utilization": rng.gauss(0.3 if risky else 0.7, 0.15),
                      "nps": None if account % 3 == 1 else float(rng.randint(0, 10)),
                      "tenure": float(rng.randint(30, 900))}
            rows.append(AccountInputs(account_id=account, day=dt.date(2026, 1, 1 + k), lifecycle_stage="", tier="",
                                      values=values, per_category={"reports": rng.uniform(0, 3)}))
            churned.append(risky and rng.random() < 0.8)
            groups.append(account)
    return rows, churned, groups


def test_the_fit_learns_a_reversed_direction_and_gives_a_valid_definition():
    rows, churned, groups = _rows(90, seed=7)
    got = suggest.suggest(rows, churned, groups, categories=["reports"], bands={"red": 0, "yellow": 40, "green": 70})
    by_key = {w.candidate.name: w for w in got.weights}
    assert by_key["tickets_per_seat"].direction == "lower"  # more tickets, more churn: learned, not assumed
    assert by_key["license_utilization"].direction == "higher"
    assert got.coefficients["tickets_per_seat"] > 0 > got.coefficients["license_utilization"]
    assert sum(w.weight for w in got.weights) == 100
    assert got.cv.auc > 0.75 and got.folds == 5
    assert "days_to_renewal" not in got.coefficients
    clean_definition(got.definition)  # a scorecard save would accept it


def test_grouped_folds_never_put_one_account_in_both_parts():
    rows, churned, groups = _rows(30, seed=1)
    folds = suggest.grouped_folds(groups, churned)
    assert len(folds) == 5
    g = np.asarray(groups)
    for train, test in folds:
        assert not set(g[train]) & set(g[test])


def test_too_few_churns_suggest_nothing():
    rows, _, groups = _rows(5, seed=2)
    got = suggest.suggest(rows, [False] * len(rows), groups, categories=[], bands={"red": 0, "green": 50})
    assert got.definition is None and got.note


def test_whole_weights_sum_to_100():
    assert suggest.whole_weights([1, 1, 1]) == [34, 33, 33]
    assert sum(suggest.whole_weights([0.013, 2.5, 0.7, 0.7])) == 100
