"""GET /api/v1/accounts/{external_id}/health?as_of= (API.md "Other shapes"): the stored row of the day, or a
live score (not stored) when none is; the override in force now or at the end of a past day; the 7- and 30-day
changes whose parts add up to the delta (null parts, and why, without a score); ``as_of`` bounded, else a
400 naming it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.selectors import tenant_today
from health.scores.inputs import local_bounds
from health.scores.models import HealthOverride, HealthScore
from health.scores.overrides import set_override
from health.scores.services import ensure_default_scorecard, recompute

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def url(external_id="acc-0", as_of=None):
    return f"/api/v1/accounts/{external_id}/health" + (f"?as_of={as_of}" if as_of is not None else "")


def comp(key, weight, points):
    return {"key": key, "input": points, "points": points, "weight": weight, "effective_weight": 0.5}


def store(world, day, nps, depth, account=0):
    """A stored row with two components of weight 10 (score = their mean)."""
    with world.scope():
        version = ensure_default_scorecard(tenant=world.tenant).current_version
        HealthScore.objects.create(tenant=world.tenant, account=world.accounts[account], day=day, version=version,
                                   score=(nps + depth) / 2, band="yellow", confidence=1.0,
                                   components=[comp("nps", 10, nps), comp("depth", 10, depth)],
                                   computed_at=timezone.now())


def test_a_stored_day_with_its_changes_adding_up(world_a, world_b, django_assert_max_num_queries):
    today = tenant_today(world_a.tenant)
    d = today - 3 * DAY
    store(world_a, d - 7 * DAY, nps=90, depth=70)
    store(world_a, d, nps=80, depth=56)
    store(world_b, d - 7 * DAY, nps=0, depth=0)  # the other tenant's twin account: never read
    with django_assert_max_num_queries(8):
        response = world_a.api().get(url(as_of=d.isoformat()))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["as_of"], body["day"], body["source"], body["score"]) == (d.isoformat(), d.isoformat(), "stored", 68.0)
    assert body["components"][0]["score"] == 80.0 and body["components"][0]["points"] == 80.0
    week = body["change"]["7d"]
    assert week["delta"] == pytest.approx(-12.0)
    assert week["by_component"] == {"nps": pytest.approx(-5.0), "depth": pytest.approx(-7.0)}
    assert sum(week["by_component"].values()) == pytest.approx(week["delta"])
    assert week["text"] == "-12 in 7 days: Depth -7, NPS -5" and week["reason"] == ""
    month = body["change"]["30d"]
    assert (month["delta"], month["by_component"]) == (None, None)
    assert month["reason"] == f"no score was computed for {(d - 30 * DAY).isoformat()}"
    assert [p["day"] for p in body["trend"]] == [(d - 7 * DAY).isoformat(), d.isoformat()]


def test_a_day_without_a_stored_row_is_computed_live_and_not_stored(world_a):
    today = tenant_today(world_a.tenant)
    d = today - 40 * DAY
    with world_a.scope():
        stored_before = HealthScore.objects.filter(tenant=world_a.tenant).count()
    body = world_a.api().get(url(as_of=d.isoformat())).json()
    assert (body["source"], body["day"], body["scorecard"]) == ("live", d.isoformat(), "Default")
    with world_a.scope():
        assert HealthScore.objects.filter(tenant=world_a.tenant).count() == stored_before
        recompute(tenant=world_a.tenant, days=[d], account_ids=[world_a.accounts[0].pk])
        row = HealthScore.objects.get(tenant=world_a.tenant, account=world_a.accounts[0], day=d)
    assert (body["score"], body["band"], body["confidence"]) == (row.score, row.band, row.confidence)
    assert [c["key"] for c in body["components"]] == [c["key"] for c in row.components]
    again = world_a.api().get(url(as_of=d.isoformat())).json()
    assert again["source"] == "stored" and again["score"] == body["score"]


def test_without_as_of_it_is_the_latest_row_and_today(world_a):
    today = tenant_today(world_a.tenant)
    store(world_a, today - 2 * DAY, nps=40, depth=60)
    body = world_a.api().get(url()).json()
    assert (body["as_of"], body["day"], body["source"], body["score"]) == (
        today.isoformat(), (today - 2 * DAY).isoformat(), "stored", 50.0)
    assert body["change"]["7d"]["reason"].startswith("no score was computed for")


@pytest.mark.parametrize("bad", ["1999-12-31", "2026-1-01", "yesterday", "2026-02-30", "٢٠٢٦-٠١-٠١"])
def test_as_of_out_of_bounds_is_a_400_naming_it(world_a, bad):
    response = world_a.api().get(url(as_of=bad))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["as_of"]


def test_as_of_after_today_is_a_400_naming_it(world_a):
    tomorrow = tenant_today(world_a.tenant) + DAY
    response = world_a.api().get(url(as_of=tomorrow.isoformat()))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "as_of"


def test_the_override_in_force_now_and_at_the_end_of_a_past_day(world_a):
    tenant = world_a.tenant
    today = tenant_today(tenant)
    past = today - 10 * DAY
    store(world_a, past, nps=80, depth=80)
    store(world_a, today, nps=80, depth=80)
    with world_a.scope():
        old = set_override(tenant=tenant, account=world_a.accounts[0], score=30.0, reason="Champion left",
                           expires_at=timezone.now() + DAY, by=world_a.csm.user)
        # Its life moved to the past: set 12 days ago, expired 5 days ago (the sweep has not run).
        start, end = local_bounds(tenant, past, past)
        HealthOverride.objects.filter(pk=old.pk).update(created_at=start - 2 * DAY, expires_at=end + 5 * DAY)
    at_past = world_a.api().get(url(as_of=past.isoformat())).json()
    assert at_past["override"] == {"score": 30.0, "band": "red", "reason": "Champion left",
                                   "by": world_a.csm.user.get_username(),
                                   "created_at": at_past["override"]["created_at"],
                                   "expires_at": at_past["override"]["expires_at"]}
    assert at_past["score"] == 80.0  # the computed score is kept beside it
    assert world_a.api().get(url()).json()["override"] is None  # expired by itself
    with world_a.scope():
        set_override(tenant=tenant, account=world_a.accounts[0], band="green", reason="Expansion signed",
                     expires_at=timezone.now() + 30 * DAY, by=world_a.admin.user)
    for body in (world_a.api().get(url()).json(), world_a.api().get(url(as_of=today.isoformat())).json()):
        assert (body["override"]["score"], body["override"]["band"]) == (None, "green")
    assert world_a.api().get(url(as_of=(past - 5 * DAY).isoformat())).json()["override"] is None
