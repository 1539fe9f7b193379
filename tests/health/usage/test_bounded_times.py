"""Issue 10: ``occurred_at`` of usage events is inside cs_platform.bounds' lower end (2000-01-01Z) and at most a
day ahead, on both the fast path and the full validation; a rejected event names the field and is not stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.health.conftest import event, post_events, stored_events

pytestmark = pytest.mark.django_db

OUTSIDE = ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z",
           "2000-01-01T00:59:59+01:00", "٢٠٢٦-01-15T12:00:00Z"]


@pytest.mark.parametrize("when", [*OUTSIDE, None])
def test_occurred_at_outside_is_rejected_naming_the_field(world_a, when):
    when = when or (timezone.now() + dt.timedelta(days=1, minutes=5)).isoformat()
    response = post_events(world_a, [event("e1", occurred_at=when)])
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["accepted"] == 0
    assert [e["field"] for e in out["rejected"][0]["errors"]] == ["occurred_at"]
    assert stored_events(world_a) == []


def test_occurred_at_just_inside_is_accepted(world_a):
    items = [event("e1", occurred_at="2000-01-01T00:00:00Z"),
             event("e2", occurred_at=(timezone.now() + dt.timedelta(hours=23)).isoformat())]
    out = post_events(world_a, items).json()
    assert out["accepted"] == 2, out
    page = reverse("account-detail", args=[world_a.tenant.slug, world_a.accounts[0].pk])
    assert world_a.client_for().get(page).status_code == 200


@pytest.mark.parametrize("window", ["²", "٣٠"])
def test_usage_window_with_unicode_digits_is_a_400_naming_window(world_a, window):
    r = world_a.api().get("/api/v1/accounts/acc-0/usage", {"window": window})
    assert r.status_code == 400, r.content
    assert {e["field"] for e in r.json()["errors"]} == {"window"}
