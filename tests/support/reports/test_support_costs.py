"""``/api/v1/support-costs`` and ``/api/v1/reports/support``: parameters, errors, scopes, and that the API
answers exactly what the selector computes."""

from __future__ import annotations

import datetime as dt

import pytest

from support.models import SupportCost, Team
from support.reports.selectors import support_report
from tests.factories import make_api_key
from tests.support.conftest import add, make_ticket


def _errors(response):
    return {e["field"] for e in response.json()["errors"]}


def test_post_creates_then_upserts_by_month_and_team(desk):
    api = desk["world"].api()
    r = api.post("/api/v1/support-costs", {"month": "2025-01", "amount": "900.50", "currency": "usd"},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json() == {"month": "2025-01", "team": None, "amount": "900.50", "currency": "USD", "note": ""}
    r = api.post("/api/v1/support-costs", {"month": "2025-01", "amount": "1000", "currency": "USD"},
                 content_type="application/json")
    assert r.status_code == 200 and r.json()["amount"] == "1000.00"
    r = api.post("/api/v1/support-costs", {"month": "2025-01", "amount": "300", "currency": "USD", "team": "tier 1"},
                 content_type="application/json")
    assert r.status_code == 201 and r.json()["team"] == "Tier 1"
    with desk["world"].scope():
        rows = sorted(SupportCost.objects.values_list("team__name", "amount"), key=str)
    assert [(team, float(amount)) for team, amount in rows] == [("Tier 1", 300.0), (None, 1000.0)]
    listed = api.get("/api/v1/support-costs").json()
    assert [(e["team"], e["amount"]) for e in listed] == [(None, "1000.00"), ("Tier 1", "300.00")] or \
        [(e["team"], e["amount"]) for e in listed] == [("Tier 1", "300.00"), (None, "1000.00")]


@pytest.mark.parametrize("body, field", [
    ({"month": "2025-13", "amount": "1", "currency": "USD"}, "month"),
    ({"month": "2025-01", "amount": "-1", "currency": "USD"}, "amount"),
    ({"month": "2025-01", "amount": "1000000000000", "currency": "USD"}, "amount"),  # past numeric(14, 2)
    ({"month": "2025-01", "amount": 1e300, "currency": "USD"}, "amount"),
    ({"month": "2025-01", "amount": "1", "currency": "US"}, "currency"),
    ({"month": "2025-01", "amount": "1", "currency": "USD", "team": "Nobody"}, "team"),
])
def test_post_rejects_bad_input_naming_the_field(desk, body, field):
    r = desk["world"].api().post("/api/v1/support-costs", body, content_type="application/json")
    assert r.status_code == 400 and field in _errors(r)
    with desk["world"].scope():
        assert not SupportCost.objects.exists()


def test_costs_need_write_scope_and_stay_in_their_tenant(desk, world_b):
    with desk["world"].scope():
        _, raw = make_api_key(desk["tenant"], scopes=["read"], raw="csk_test_read_only_alpha")
    r = desk["world"].api(raw).post("/api/v1/support-costs", {"month": "2025-01", "amount": "1", "currency": "USD"},
                                    content_type="application/json")
    assert r.status_code == 403
    desk["world"].api().post("/api/v1/support-costs", {"month": "2025-01", "amount": "5", "currency": "USD"},
                             content_type="application/json")
    assert world_b.api().get("/api/v1/support-costs").json() == []
    # Tenant B has no team "Tier 1": naming A's team is a 400, not a write into A.
    r = world_b.api().post("/api/v1/support-costs", {"month": "2025-01", "amount": "1", "currency": "USD",
                                                     "team": "Tier 1"}, content_type="application/json")
    assert r.status_code == 400 and _errors(r) == {"team"}


def test_report_api_answers_the_selector(desk):
    t = desk["tenant"]
    ticket = make_ticket(t, "R1", created_at=dt.datetime(2025, 1, 10, tzinfo=dt.UTC))
    add(t, ticket, "r1", started_at=dt.datetime(2025, 1, 10, tzinfo=dt.UTC))
    add(t, ticket, "r2", direction="outbound", author_type="agent", agent="ana@alpha.test",
        started_at=dt.datetime(2025, 1, 10, 0, 5, tzinfo=dt.UTC), handle_seconds=120)
    for group_by in ("none", "agent", "team", "month", "channel"):
        r = desk["world"].api().get(f"/api/v1/reports/support?from=2025-01-01&to=2025-03-01&group_by={group_by}")
        assert r.status_code == 200, r.content
        with desk["world"].scope():
            expected = support_report(tenant=t, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 1),
                                      group_by=group_by)
        assert r.json() == expected
    body = desk["world"].api().get("/api/v1/reports/support?from=2025-01-01&to=2025-02-01").json()
    assert body["group_by"] == "none" and body["timezone"] == "America/Los_Angeles"
    assert body["rows"][0]["interactions"] == 2
    assert body["rows"][0]["first_response_time"] == {"count": 1, "mean": 300.0, "median": 300.0, "p90": 300.0}


@pytest.mark.parametrize("query, field", [
    ("to=2025-02-01", "from"),
    ("from=2025-01-01", "to"),
    ("from=2025-1-1&to=2025-02-01", "from"),
    ("from=2025-02-30&to=2025-03-01", "from"),
    ("from=2025-02-01&to=2025-02-01", "to"),
    ("from=2025-02-01&to=2025-01-01", "to"),
    ("from=2020-01-01&to=2025-01-01", "to"),
    ("from=2025-01-01&to=2025-02-01&group_by=week", "group_by"),
])
def test_report_api_rejects_bad_parameters_naming_the_field(desk, query, field):
    r = desk["world"].api().get(f"/api/v1/reports/support?{query}")
    assert r.status_code == 400 and _errors(r) == {field}


def test_report_api_without_dates_is_the_current_tenant_month(desk):
    from django.utils import timezone

    from support.reports.periods import next_month

    body = desk["world"].api().get("/api/v1/reports/support").json()
    start = timezone.now().astimezone(desk["tenant"].zone).date().replace(day=1)
    assert (body["from"], body["to"]) == (start.isoformat(), next_month(start).isoformat())


def test_report_api_needs_a_key(desk):
    from django.test import Client

    assert Client().get("/api/v1/reports/support?from=2025-01-01&to=2025-02-01").status_code == 401


def test_report_team_names_come_from_this_tenant(desk, world_b):
    with world_b.scope():
        Team.objects.create(tenant=world_b.tenant, name="Tier 1")
    body = world_b.api().get("/api/v1/reports/support?from=2025-01-01&to=2025-02-01&group_by=team").json()
    assert body["rows"] == []
