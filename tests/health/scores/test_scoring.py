"""The scoring core, as pure functions (METRICS.md "Health"): mappings at their edges, redistribution and
confidence, band edges, and explanations whose contributions add up exactly to the change."""

from __future__ import annotations

from fractions import Fraction

import pytest

from health.scores.mapping import MappingError, clean_mapping, points
from health.scores.scoring import Part, band, contributions, rounded_contributions, score

RAMP_UP = clean_mapping({"kind": "ramp", "low": 0.2, "high": 0.8})
RAMP_DOWN = clean_mapping({"kind": "ramp", "low": 0, "high": 4, "direction": "lower"})
STEPS_UP = clean_mapping({"kind": "thresholds", "steps": [[1, 30], [5, 70], [10, 100]], "otherwise": 5})
STEPS_DOWN = clean_mapping({"kind": "thresholds", "steps": [[1, 100], [3, 60], [10, 20]], "direction": "lower"})


@pytest.mark.parametrize(("mapping", "value", "expected"), [
    (RAMP_UP, None, None), (RAMP_UP, -5, 0), (RAMP_UP, 0.2, 0), (RAMP_UP, 0.5, 50), (RAMP_UP, 0.8, 100),
    (RAMP_UP, 9, 100),
    (RAMP_DOWN, 0, 100), (RAMP_DOWN, 1, 75), (RAMP_DOWN, 4, 0), (RAMP_DOWN, 40, 0),
    (STEPS_UP, 0.99, 5), (STEPS_UP, 1, 30), (STEPS_UP, 4.99, 30), (STEPS_UP, 5, 70), (STEPS_UP, 10, 100),
    (STEPS_DOWN, 0, 100), (STEPS_DOWN, 1, 100), (STEPS_DOWN, 1.01, 60), (STEPS_DOWN, 10, 20), (STEPS_DOWN, 10.5, 0),
])
def test_mapping_edges(mapping, value, expected):
    assert points(mapping, value) == pytest.approx(expected) if expected is not None else points(mapping, value) is None


@pytest.mark.parametrize(("bad", "field"), [
    ("ramp", "mapping"), ({"kind": "curve"}, "mapping.kind"), ({"kind": "ramp", "low": 1, "high": 1}, "mapping.high"),
    ({"kind": "ramp", "low": "a", "high": 1}, "mapping.low"), ({"kind": "ramp", "low": float("nan"), "high": 1},
                                                              "mapping.low"),
    ({"kind": "ramp", "low": 0, "high": 1e13}, "mapping.high"), ({"kind": "ramp", "low": 0, "high": 1,
                                                                 "direction": "up"}, "mapping.direction"),
    ({"kind": "thresholds", "steps": []}, "mapping.steps"), ({"kind": "thresholds", "steps": [[1, 101]]},
                                                             "mapping.steps[0][1]"),
    ({"kind": "thresholds", "steps": [[2, 10], [2, 20]]}, "mapping.steps"),
    ({"kind": "thresholds", "steps": [[1]]}, "mapping.steps[0]"), ({"kind": "ramp", "low": True, "high": 2},
                                                                   "mapping.low"),
])
def test_bad_mappings_name_the_field(bad, field):
    with pytest.raises(MappingError) as caught:
        clean_mapping(bad)
    assert caught.value.field == field


def test_missing_components_redistribute_their_weight_and_lower_the_confidence():
    full = score([Part("usage", 60, 50), Part("nps", 30, 100), Part("support", 10, 0)])
    assert full.score == pytest.approx((60 * 50 + 30 * 100 + 10 * 0) / 100) and full.confidence == 1
    partial = score([Part("usage", 60, 50), Part("nps", 30, None), Part("support", 10, 0)])
    assert partial.score == pytest.approx((60 * 50 + 0) / 70)
    assert partial.confidence == pytest.approx(0.7)
    assert partial.effective_weights == pytest.approx({"usage": 60 / 70, "nps": 0, "support": 10 / 70})
    nothing = score([Part("usage", 60, None)])
    assert nothing.score is None and nothing.confidence == 0
    with pytest.raises(ValueError):
        score([Part("usage", -1, 10)])


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (0, "red"), (39.999, "red"), (40, "yellow"), (69.99, "yellow"), (70, "green"), (100, "green")])
def test_band_edges(value, expected):
    assert band(value, {"green": 70, "red": 0, "yellow": 40}) == expected


def test_contributions_add_up_exactly_to_the_change_even_when_a_component_appears():
    a = [Part("usage", 60, 80.3), Part("nps", 30, 90.1), Part("support", 10, None)]
    b = [Part("usage", 60, 41.7), Part("nps", 30, 35.9), Part("support", 10, 100)]
    exact = contributions(a, b)
    delta = Fraction(score(b).score) - Fraction(score(a).score)
    assert abs(sum(exact.values()) - delta) < Fraction(1, 10 ** 9)
    # The support component had no data on a: its whole share on b is its contribution.
    assert exact["support"] == Fraction(10) * Fraction(100) / Fraction(100)
    shown = rounded_contributions(exact, digits=1)
    assert round(sum(shown.values()), 1) == round(float(delta), 1)


def test_rounded_contributions_keep_the_total_when_each_part_rounds_the_same_way():
    thirds = {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}  # 0.333.. each, 1.0 in all
    shown = rounded_contributions(thirds, digits=1)
    assert sum(shown.values()) == pytest.approx(1.0) and sorted(shown.values()) == [0.3, 0.3, 0.4]
    negative = rounded_contributions({"a": Fraction(-1, 3), "b": Fraction(-1, 3), "c": Fraction(-1, 3)}, digits=0)
    assert sum(negative.values()) == -1


def _reference_score(parts):
    """METRICS.md's formula in Fractions, as step 1 computed it: the fast path must give the same floats."""
    all_weights = sum((Fraction(p.weight) for p in parts), Fraction(0))
    with_data = [p for p in parts if p.points is not None and p.weight > 0]
    total = sum((Fraction(p.weight) for p in with_data), Fraction(0))
    if total == 0:
        return None, 0.0, {p.key: 0.0 for p in parts}
    value = sum((Fraction(p.weight) * Fraction(p.points) / total for p in with_data), Fraction(0))
    effective = {p.key: float(Fraction(p.weight) / total) if p.points is not None else 0.0 for p in parts}
    return float(value), float(total / all_weights), effective


def test_the_integer_fast_path_gives_exactly_the_fraction_floats():
    import random

    rng = random.Random(14)
    for _ in range(3000):
        parts = [Part(f"c{i}", rng.choice([0, 1, 5, 7.5, 10, 12.3, 33.333, rng.uniform(0, 40)]),
                      rng.choice([None, 0.0, 100.0, 55, rng.uniform(0, 100), rng.uniform(0, 1e-9)]))
                 for i in range(rng.randint(1, 14))]
        got = score(parts)
        assert (got.score, got.confidence, got.effective_weights) == _reference_score(parts)
