"""The health API (API.md): POST /health/recompute (202 and a job URL; bad input named: dates, range, the
future, accounts), GET /accounts/{external_id}/health (latest row, trend, null fields before any run) and
.../health/history (bounded range); query counts; another tenant's account is a 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from accounts.models import Job
from accounts.selectors import tenant_today
from health.scores import api as health_api
from health.scores.jobs import JOB_KIND
from health.scores.services import recompute
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

RECOMPUTE = "/api/v1/health/recompute"


def health_url(external_id: str, history: bool = False) -> str:
    return f"/api/v1/accounts/{external_id}/health" + ("/history" if history else "")


@pytest.fixture
def enqueued(monkeypatch):
    """The broker is outside: record what the job would enqueue."""
    from health.scores.tasks import recompute_health

    sent = []
    monkeypatch.setattr(recompute_health, "delay", lambda *args: sent.append(args))
    return sent


def post(world, body, raw_key=None):
    return world.api(raw_key).post(RECOMPUTE, data=json.dumps(body), content_type="application/json")


def fields_of(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_recompute_answers_202_with_the_job_and_its_url(world_a, enqueued, django_capture_on_commit_callbacks):
    today = tenant_today(world_a.tenant)
    start = today - dt.timedelta(days=9)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(world_a, {"accounts": ["acc-2", "acc-0"], "from": start.isoformat(),
                                  "to": today.isoformat()})
    assert response.status_code == 202, response.json()
    body = response.json()
    job_id = body["job"]["id"]
    assert body["url"] == f"http://testserver/api/v1/jobs/{job_id}"
    assert (body["job"]["kind"], body["job"]["state"]) == (JOB_KIND, "queued")
    assert enqueued == [(world_a.tenant.pk, job_id)]
    with world_a.scope():
        request = json.loads(Job.objects.get(pk=job_id).input_text)
    assert request["account_ids"] == sorted([world_a.accounts[2].pk, world_a.accounts[0].pk])
    assert request["days"][0] == start.isoformat() and len(request["days"]) == 10
    assert world_a.api().get(body["url"]).json()["state"] == "queued"  # the URL answers


def test_recompute_without_a_body_is_today_for_every_account(world_a, enqueued,
                                                             django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = world_a.api().post(RECOMPUTE, data="", content_type="application/json")
    assert response.status_code == 202
    with world_a.scope():
        request = json.loads(Job.objects.get(pk=response.json()["job"]["id"]).input_text)
    assert request == {"days": [tenant_today(world_a.tenant).isoformat()], "account_ids": None}


@pytest.mark.parametrize(("body", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"to": "2026-3-1"}, "to"),
    ({"from": 20260301}, "from"),
    ({"from": "1999-12-31"}, "from"),
    ({"from": "2026-03-10", "to": "2026-03-09"}, "from"),
    ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
    ({"accounts": "acc-1"}, "accounts"),
    ({"accounts": [1]}, "accounts[0]"),
    ({"accounts": ["x" * 129]}, "accounts[0]"),
    ({"accounts": ["acc-1"] * 1001}, "accounts"),
    ({"accounts": ["acc-1", "acc-9"]}, "accounts[1]"),
    ({"days": 3}, "days"),
])
def test_recompute_bad_input_is_a_400_naming_the_field_and_starts_nothing(world_a, enqueued, body, field):
    response = post(world_a, body)
    assert response.status_code == 400, response.json()
    assert fields_of(response) == [field]
    with world_a.scope():
        assert not Job.objects.filter(kind=JOB_KIND).exists()


def test_recompute_refuses_a_day_after_today_local_and_takes_366_days(world_a, enqueued):
    today = tenant_today(world_a.tenant)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert fields_of(post(world_a, {"to": tomorrow})) == ["to"]
    assert fields_of(post(world_a, {"from": tomorrow})) == ["from"]
    response = post(world_a, {"from": (today - dt.timedelta(days=365)).isoformat()})
    assert response.status_code == 202
    assert response.json()["job"]["total"] == 0  # counted when the job runs


def test_another_tenants_account_is_unknown_to_recompute(world_a, world_b, enqueued):
    with world_b.scope():
        world_b.accounts[0].external_id = "only-in-b"
        world_b.accounts[0].save()
    response = post(world_a, {"accounts": ["acc-0", "only-in-b"]})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "accounts[1]", "message": "no such account: only-in-b"}]


def test_recompute_needs_the_write_scope(world_a, enqueued):
    _, read_only = make_api_key(world_a.tenant, scopes=("read",), raw="csk_test_read_only_health")
    assert post(world_a, {}, raw_key=read_only).status_code == 403
    assert world_a.api(read_only).get(health_url("acc-0")).status_code == 200
    _, write_only = make_api_key(world_a.tenant, scopes=("write",), raw="csk_test_write_only_health")
    assert world_a.api(write_only).get(health_url("acc-0")).status_code == 403


def _scores(world, days):
    with world.scope():
        recompute(tenant=world.tenant, days=days)


def test_account_health_is_the_latest_row_with_components_and_the_30_day_trend(world_a, world_b,
                                                                              django_assert_max_num_queries):
    today = tenant_today(world_a.tenant)
    _scores(world_a, [today - dt.timedelta(days=n) for n in (0, 1, 29, 30)])
    _scores(world_b, [today])
    # key, scope, account, latest row, override, change rows, trend
    with django_assert_max_num_queries(8):
        response = world_a.api().get(health_url("acc-1"))
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "acc-1" and body["day"] == today.isoformat()
    assert (body["scorecard"], body["version"]) == ("Default", 1)
    assert 0 <= body["confidence"] <= 1 and body["band"] in ("red", "yellow", "green", "")
    assert body["components"] and set(body["components"][0]) == {"key", "input", "points", "score", "weight",
                                                                  "effective_weight"}
    assert [p["day"] for p in body["trend"]] == [(today - dt.timedelta(days=n)).isoformat() for n in (29, 1, 0)]
    assert body["trend"][-1] == {"day": today.isoformat(), "score": body["score"], "band": body["band"]}


def test_account_health_before_any_run_has_null_fields(world_a):
    response = world_a.api().get(health_url("acc-0"))
    assert response.status_code == 200
    assert response.json() == {"account": "acc-0", **health_api.NO_SCORE, "trend": [], "source": None,
                               "as_of": tenant_today(world_a.tenant).isoformat(), "override": None, "change": {}}


def test_unknown_or_another_tenants_account_is_a_404_naming_the_account(world_a, world_b):
    _scores(world_b, [tenant_today(world_b.tenant)])
    with world_b.scope():
        world_b.accounts[0].external_id = "only-in-b"
        world_b.accounts[0].save()
    for url in (health_url("only-in-b"), health_url("only-in-b", history=True), health_url("nope")):
        response = world_a.api().get(url)
        assert response.status_code == 404
        assert "account" in response.json()["errors"][0]["message"]


def test_history_gives_the_rows_of_the_range_oldest_first(world_a, django_assert_max_num_queries):
    today = tenant_today(world_a.tenant)
    days = [today - dt.timedelta(days=n) for n in (0, 5, 10, 40)]
    _scores(world_a, days)
    start, end = today - dt.timedelta(days=10), today - dt.timedelta(days=5)
    with django_assert_max_num_queries(5):  # key, scope, account, rows (with versions and scorecards)
        response = world_a.api().get(health_url("acc-2", history=True),
                                     {"from": start.isoformat(), "to": end.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == (start.isoformat(), end.isoformat())
    assert [r["day"] for r in body["days"]] == [start.isoformat(), end.isoformat()]
    assert all(r["scorecard"] == "Default" and r["components"] for r in body["days"])
    default = world_a.api().get(health_url("acc-2", history=True)).json()  # the 30 days ending today
    assert [r["day"] for r in default["days"]] == [d.isoformat() for d in sorted(days[:3])]


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-02-30"}, "from"),
    ({"to": "2026-1-1"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
    ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),  # 367 days
    ({"to": "9999-01-01"}, "to"),
])
def test_history_bad_range_is_a_400_naming_the_field(world_a, params, field):
    response = world_a.api().get(health_url("acc-0", history=True), params)
    assert response.status_code == 400
    assert fields_of(response) == [field]
