"""Issue 10: report ranges and support-cost months are inside cs_platform.bounds' window (2000 to ten years
ahead), ASCII digits only; outside is a 400 naming the field (API) or a form error (pages), never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cs_platform import bounds
from support.models import SupportCost
from support.reports.forms import PeriodForm

pytestmark = pytest.mark.django_db


def _fields(response) -> set:
    return {e["field"] for e in response.json()["errors"]}


def _month_after_latest() -> str:
    latest = bounds.latest_date()
    nxt = (latest.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{nxt.year:04d}-{nxt.month:02d}"


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "٢٠٢٦-01", "2026-1", None])
def test_cost_month_outside_is_a_400_naming_month(desk, month):
    month = month or _month_after_latest()
    r = desk["world"].api().post("/api/v1/support-costs", {"month": month, "amount": "1", "currency": "USD"},
                                 content_type="application/json")
    assert r.status_code == 400, r.content
    assert _fields(r) == {"month"}
    with desk["world"].scope():
        assert not SupportCost.objects.exists()


@pytest.mark.parametrize("month", ["2000-01", None])
def test_cost_month_just_inside_is_accepted(desk, month):
    latest = bounds.latest_date()
    month = month or f"{latest.year:04d}-{latest.month:02d}"
    r = desk["world"].api().post("/api/v1/support-costs", {"month": month, "amount": "1", "currency": "USD"},
                                 content_type="application/json")
    assert r.status_code == 201, r.content


@pytest.mark.parametrize("name, value", [
    ("from", "0001-01-01"), ("from", "1999-12-31"), ("to", "9999-12-31"), ("from", "٢٠٢٦-01-01"),
])
def test_report_range_outside_is_a_400_naming_the_parameter(desk, name, value):
    params = {"from": "2025-01-01", "to": "2025-02-01", name: value}
    r = desk["world"].api().get("/api/v1/reports/support", params)
    assert r.status_code == 400, r.content
    assert _fields(r) == {name}


def test_report_range_far_ahead_is_a_400_naming_to(desk):
    latest = bounds.latest_date()
    r = desk["world"].api().get("/api/v1/reports/support", {
        "from": (latest - dt.timedelta(days=30)).isoformat(), "to": (latest + dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 400 and _fields(r) == {"to"}


def test_report_range_just_inside_is_accepted(desk):
    r = desk["world"].api().get("/api/v1/reports/support", {"from": "2000-01-01", "to": "2000-02-01"})
    assert r.status_code == 200, r.content


@pytest.mark.parametrize("field, value", [("date_from", "0001-01-01"), ("date_to", "9999-12-31"),
                                          ("date_from", "1999-12-31"), ("date_to", "٢٠٢٦-01-01")])
def test_period_form_refuses_dates_outside(desk, field, value):
    data = {"period": "custom", "date_from": "2025-01-01", "date_to": "2025-01-31", field: value}
    form = PeriodForm(data, tenant=desk["tenant"], today=timezone.now().date())
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_report_pages_answer_200_with_dates_outside(desk, value):
    world = desk["world"]
    url = reverse("report-agents", args=[world.tenant.slug])
    r = world.client_for().get(url, {"period": "custom", "date_from": value, "date_to": value})
    assert r.status_code == 200
