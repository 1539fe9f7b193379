"""The explanation of a change (METRICS.md "Health"): contributions that add up exactly to the change, rounded
parts that add up to the rounded change, a component in one day's row only (another scorecard version), a
day without a score (no explanation, and why), the one-line text, and the selector over stored rows."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.utils import timezone

from health.scores.explain import Day, explain, explain_spans
from health.scores.scoring import Part, score
from health.scores.services import ensure_default_scorecard

A, B = dt.date(2026, 3, 1), dt.date(2026, 3, 8)


def comp(key, weight, points, **extra):
    return {"key": key, "weight": weight, "points": points, "input": None, **extra}


def day_of(when, components):
    parts = [Part(c["key"] if "category" not in c else f"{c['key']}:{c['category']}", c["weight"], c["points"])
             for c in components]
    return Day(when, score(parts).score, components)


def test_contributions_add_up_exactly_to_the_change():
    before = day_of(A, [comp("nps", 10, 90), comp("depth", 10, 70), comp("breadth", 7, 33.3)])
    after = day_of(B, [comp("nps", 10, 40), comp("depth", 10, 20), comp("breadth", 7, 41.9)])
    result = explain(before, after, start=A, end=B)
    assert result.explained and result.days == 7
    exact = sum(Fraction(v) for v in result.by_component.values())
    assert float(exact) == pytest.approx(after.score - before.score, abs=1e-9)
    assert result.delta == pytest.approx(after.score - before.score, abs=1e-9)
    assert result.by_component["nps"] == pytest.approx(10 * 40 / 27 - 10 * 90 / 27)
    assert sum(result.rounded.values()) == round(result.delta)
    assert all(v == int(v) for v in result.rounded.values())


def test_rounded_parts_add_up_even_when_each_part_rounds_the_same_way():
    # Three parts of +0.4 each: rounded one by one they give 0, but the change rounds to +1.
    before = day_of(A, [comp("nps", 1, 0.0), comp("depth", 1, 0.0), comp("breadth", 1, 0.0)])
    after = day_of(B, [comp("nps", 1, 1.2), comp("depth", 1, 1.2), comp("breadth", 1, 1.2)])
    result = explain(before, after, start=A, end=B)
    assert round(result.delta) == 1
    assert sum(result.rounded.values()) == 1
    assert sorted(result.rounded.values()) == [0, 0, 1]


def test_a_component_missing_on_one_day_counts_zero_there_and_the_sum_still_holds():
    # Day a: no NPS answer yet (left out, weight redistributed); day b: a newer version adds a category.
    before = day_of(A, [comp("nps", 10, None), comp("depth", 10, 80)])
    after = day_of(B, [comp("nps", 10, 20), comp("depth", 10, 80),
                       comp("category_usage_per_seat", 5, 60, category="reports")])
    result = explain(before, after, start=A, end=B)
    assert set(result.by_component) == {"nps", "depth", "category_usage_per_seat:reports"}
    assert result.by_component["depth"] == pytest.approx(10 * 80 / 25 - 80)
    assert result.by_component["nps"] == pytest.approx(10 * 20 / 25)
    assert sum(result.by_component.values()) == pytest.approx(after.score - before.score, abs=1e-9)
    assert result.labels["category_usage_per_seat:reports"] == "Feature category per seat (reports)"


@pytest.mark.parametrize("missing", ["start", "end"])
def test_a_day_without_a_score_gives_no_explanation_and_says_why(missing):
    empty = day_of(A if missing == "start" else B, [comp("nps", 10, None)])
    full = day_of(B if missing == "start" else A, [comp("nps", 10, 50)])
    before, after = (empty, full) if missing == "start" else (full, empty)
    result = explain(before, after, start=A, end=B)
    assert not result.explained and result.text == "" and result.by_component == {}
    assert result.reason == f"no component had data on {(A if missing == 'start' else B).isoformat()}"
    no_row = explain(None, full, start=A, end=B)
    assert no_row.reason == f"no score was computed for {A.isoformat()}"


def test_the_text_names_the_largest_contributions_first_with_their_labels():
    before = day_of(A, [comp("nps", 10, 100), comp("depth", 10, 100), comp("breadth", 10, 50)])
    after = day_of(B, [comp("nps", 10, 85), comp("depth", 10, 79), comp("breadth", 10, 50)])
    result = explain(before, after, start=A, end=B)
    assert result.text == "-12 in 7 days: Depth -7, NPS -5"


def test_the_text_folds_small_parts_into_others_and_still_adds_up():
    keys = ["nps", "depth", "breadth", "csat", "tenure", "sla_breaches"]
    before = day_of(A, [comp(k, 1, 50) for k in keys])
    after = day_of(B, [comp(k, 1, 50 + 6 * (i + 1)) for i, k in enumerate(keys)])
    result = explain(before, after, start=A, end=B)
    assert result.text == "+21 in 7 days: SLA breaches +6, Tenure +5, CSAT +4, Breadth +3, others +3"


@pytest.mark.django_db
def test_explain_spans_reads_the_stored_rows_of_each_span(world_a, world_b, django_assert_max_num_queries):
    from health.scores.models import HealthScore

    account = world_a.accounts[0]
    with world_a.scope():
        version = ensure_default_scorecard(tenant=world_a.tenant).current_version
        for day, nps in ((B - dt.timedelta(days=30), 10.0), (A, 30.0), (B, 90.0)):
            HealthScore.objects.create(tenant=world_a.tenant, account=account, day=day, version=version, score=nps,
                                       band="", confidence=1, components=[comp("nps", 10, nps)],
                                       computed_at=timezone.now())
        with django_assert_max_num_queries(1):
            spans = explain_spans(tenant=world_a.tenant, account=account, end=B)
        assert spans[7].delta == pytest.approx(60) and spans[7].text == "+60 in 7 days: NPS +60"
        assert spans[30].delta == pytest.approx(80)
        live = Day(B, 50.0, [comp("nps", 10, 50.0)])
        assert explain_spans(tenant=world_a.tenant, account=account, end=B, end_row=live)[7].delta == pytest.approx(20)
    with world_b.scope():  # the other tenant's same-looking account has no rows
        other = explain_spans(tenant=world_b.tenant, account=world_b.accounts[0], end=B)
        assert not other[7].explained
