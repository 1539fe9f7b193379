"""POST /api/v1/subscriptions/bulk (upsert by external_id, bounds, idempotence, the dirty flag) and the
renewal-or-churn events (METRICS.md "Retention": a gap of exactly 1 day renews, 2 days churns; overlaps;
censored ends)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from accounts.subscriptions.models import SubscriptionPeriod
from accounts.subscriptions.selectors import renewal_events
from health.scores.models import RecomputeDirty

pytestmark = pytest.mark.django_db
URL = "/api/v1/subscriptions/bulk"


def post(world, items):
    return world.api().post(URL, data=json.dumps(items), content_type="application/json")


def period(external_id="sub-1", account="acc-0", starts_at="2026-01-01", ends_at="2027-01-01", **more):
    return {"external_id": external_id, "account": account, "starts_at": starts_at, "ends_at": ends_at,
            "arr": "1200.50", "seats": 10, **more}


def test_bulk_writes_periods_with_a_date_as_the_tenants_local_midnight(world_a, world_b):
    response = post(world_a, [period(plan="pro", kind="new"),
                              period("sub-2", starts_at="2026-02-01T10:00:00+02:00", ends_at="2026-03-01")])
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "created": 2, "updated": 0, "rejected": []}
    with world_a.scope():
        first = SubscriptionPeriod.objects.get(tenant=world_a.tenant, external_id="sub-1")
        second = SubscriptionPeriod.objects.get(tenant=world_a.tenant, external_id="sub-2")
        assert RecomputeDirty.objects.filter(tenant=world_a.tenant).count() == 1
    # America/Los_Angeles: local midnight of 2026-01-01 is 08:00 UTC.
    assert first.starts_at == dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    assert (first.arr, first.seats, first.plan, first.kind) == (Decimal("1200.50"), 10, "pro", "new")
    assert first.account_id == world_a.accounts[0].pk
    assert second.starts_at == dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC)
    with world_b.scope():
        assert not SubscriptionPeriod.objects.filter(tenant=world_b.tenant).exists()


def test_the_same_items_twice_change_nothing_and_a_change_updates(world_a):
    assert post(world_a, [period()]).json()["created"] == 1
    with world_a.scope():
        RecomputeDirty.objects.filter(tenant=world_a.tenant).delete()
        before = SubscriptionPeriod.objects.get(tenant=world_a.tenant)
    again = post(world_a, [period()]).json()
    assert again == {"accepted": 0, "duplicates": 1, "created": 0, "updated": 0, "rejected": []}
    with world_a.scope():
        assert SubscriptionPeriod.objects.get(tenant=world_a.tenant).updated_at == before.updated_at
        assert not RecomputeDirty.objects.filter(tenant=world_a.tenant).exists()
    moved = post(world_a, [period(account="acc-1", seats=12)]).json()
    assert moved["updated"] == 1
    with world_a.scope():
        row = SubscriptionPeriod.objects.get(tenant=world_a.tenant)
        assert (row.account_id, row.seats) == (world_a.accounts[1].pk, 12)
        # the account it left and the one it joined both get recomputed
        assert set(RecomputeDirty.objects.filter(tenant=world_a.tenant).values_list("account_id", flat=True)) == {
            world_a.accounts[0].pk, world_a.accounts[1].pk}


@pytest.mark.parametrize(("change", "field"), [
    ({"ends_at": "2026-01-01"}, "ends_at"),  # empty
    ({"ends_at": "2025-12-31"}, "ends_at"),  # inverted
    ({"starts_at": "1999-12-31"}, "starts_at"),
    ({"ends_at": "2099-01-01T00:00:00Z"}, "ends_at"),
    ({"starts_at": "2026-01-01T00:00:00"}, "starts_at"),  # no offset
    ({"arr": "-1"}, "arr"),
    ({"arr": "1.005"}, "arr"),
    ({"arr": "1000000000000"}, "arr"),
    ({"seats": 10_000_001}, "seats"),
    ({"seats": -1}, "seats"),
    ({"plan": "x" * 101}, "plan"),
    ({"kind": "upsell"}, "kind"),
    ({"account": "nobody"}, "account"),
    ({"seat": 3}, "seat"),
])
def test_bad_items_are_rejected_naming_the_field_and_the_good_ones_written(world_a, change, field):
    body = post(world_a, [period("ok"), period("bad", **change)]).json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1]
    assert [e["field"] for e in body["rejected"][0]["errors"]] == [field]
    with world_a.scope():
        assert list(SubscriptionPeriod.objects.filter(tenant=world_a.tenant).values_list("external_id", flat=True)) \
            == ["ok"]


def test_the_largest_values_are_accepted_and_a_batch_over_5000_is_413(world_a):
    body = post(world_a, [period(arr="999999999999.99", seats=10_000_000)]).json()
    assert body["accepted"] == 1
    response = post(world_a, [period(f"s{i}") for i in range(5_001)])
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def _periods(world, *spans):
    """(external id, account index, start, end) in UTC instants: written through the service."""
    items = [{"external_id": x, "account": f"acc-{a}", "starts_at": s, "ends_at": e, "arr": "100", "seats": 1}
             for x, a, s, e in spans]
    assert post(world, items).json()["accepted"] == len(items)


def test_renewal_events_one_day_gap_renews_two_days_churn_overlap_renews_and_late_ends_are_censored(world_a):
    _periods(world_a,
             # account 0: renewed with a gap of exactly 1 day, then churned after a 2-day gap, then its last
             # period ends after `until`: censored.
             ("a1", 0, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
             ("a2", 0, "2026-02-02T00:00:00Z", "2026-03-01T00:00:00Z"),
             ("a3", 0, "2026-03-03T00:00:00Z", "2026-07-01T00:00:00Z"),
             # account 1: an add-on inside the main period (its end is a renewal: still subscribed), and the
             # main period's end with nothing after it: a churn. Two periods ending together are one event.
             ("b1", 1, "2026-01-01T00:00:00Z", "2026-05-01T00:00:00Z"),
             ("b2", 1, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
             ("b3", 1, "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"),
             # account 2: ends 12 hours before `until`: its 1-day renewal window is not over, censored.
             ("c1", 2, "2026-01-01T00:00:00Z", "2026-05-31T12:00:00Z"))
    until = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with world_a.scope():
        events = renewal_events(tenant=world_a.tenant, until=until)
    a0, a1 = world_a.accounts[0].pk, world_a.accounts[1].pk
    got = [(e.account_id, e.ends_at.isoformat(), e.churned) for e in events]
    assert got == [(a0, "2026-02-01T00:00:00+00:00", False),
                   (a0, "2026-03-01T00:00:00+00:00", True),
                   (a1, "2026-03-01T00:00:00+00:00", False),
                   (a1, "2026-05-01T00:00:00+00:00", True)]
    # the event's day is local: 2026-02-01T00:00Z is still January 31 in Los Angeles
    assert events[0].day == dt.date(2026, 1, 31)
    with world_a.scope():
        later = renewal_events(tenant=world_a.tenant, until=dt.datetime(2026, 6, 2, tzinfo=dt.UTC))
    assert (world_a.accounts[2].pk, True) in [(e.account_id, e.churned) for e in later]
