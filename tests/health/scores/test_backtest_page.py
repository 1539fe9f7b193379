"""The backtest over real rows: observations scored as of h days before each event from data up to that day
only, one inputs_as_of per distinct day (queries do not grow with the accounts), the API's shape and its 400s,
another tenant's scorecard answering 404, the page (full and partial, bounded queries) and "Apply as a new
version"."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Job
from accounts.selectors import tenant_today
from accounts.tenancy import tenant_scope
from health.scores.backtests.selectors import backtest_report
from health.scores.backtests.tasks import run_health_backtest
from health.scores.models import Scorecard, ScorecardVersion
from health.scores.services import ensure_default_scorecard
from health.usage.models import UsageDaily
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
H = 14


def _periods(world, spans):
    items = [{"external_id": f"p-{a}-{i}", "account": a, "starts_at": s.isoformat(), "ends_at": e.isoformat(),
              "arr": "1200", "seats": 10} for i, (a, s, e) in enumerate(spans)]
    response = world.api().post("/api/v1/subscriptions/bulk", data=json.dumps(items), content_type="application/json")
    assert response.json()["accepted"] == len(items), response.content


def history(world):
    """acc-0 renews at END (active before), acc-1 churns at END (active only *after* END - h, which the score
    must not see), acc-2's period ends after now: censored."""
    tenant = world.tenant
    today = tenant_today(tenant)
    end = today - dt.timedelta(days=40)
    start = end - dt.timedelta(days=365)
    _periods(world, [("acc-0", start, end), ("acc-0", end, today + dt.timedelta(days=300)),
                     ("acc-1", start, end), ("acc-2", start, today + dt.timedelta(days=5))])
    with tenant_scope(tenant):
        for contact in world.contacts:
            account = contact.account.external_id
            day = end - dt.timedelta(days=H + 3) if account == "acc-0" else end - dt.timedelta(days=H - 2)
            UsageDaily.objects.create(tenant=tenant, account=contact.account, contact=contact, day=day,
                                      event_name="report.run", count=100 if account == "acc-0" else 5)
    return end


def test_observations_are_scored_as_of_h_days_before_from_data_up_to_that_day(world_a):
    end = history(world_a)
    with tenant_scope(world_a.tenant):
        report = backtest_report(tenant=world_a.tenant, scorecard=None, horizon_days=H)
    got = {o.account_id: o for o in report.observations}
    a0, a1 = world_a.accounts[0].pk, world_a.accounts[1].pk
    assert set(got) == {a0, a1}  # acc-2 censored
    assert (got[a0].churned, got[a1].churned) == (False, True)
    assert got[a0].inputs.day == got[a1].inputs.day == end - dt.timedelta(days=H)
    assert got[a0].inputs.values["license_utilization"] > 0
    assert got[a1].inputs.values["license_utilization"] == 0  # its events came after the scoring day
    assert report.result.auc == 1.0  # the one churn scored below the one renewal
    assert report.verdict == "weak"  # 1 churn, 1 renewal


def _more_events(world, n):
    today = tenant_today(world.tenant)
    end = today - dt.timedelta(days=40)
    spans = []
    with tenant_scope(world.tenant):
        for i in range(n):
            account = AccountFactory(tenant=world.tenant, external_id=f"more-{i}")
            ContactFactory(tenant=world.tenant, account=account, external_id=f"more-c{i}")
            spans.append((account.external_id, end - dt.timedelta(days=365), end))
    _periods(world, spans)


@pytest.mark.parametrize("n", [2, 25])
def test_the_reads_are_one_set_of_queries_per_scoring_day_whatever_the_accounts(world_a, n):
    _more_events(world_a, n)
    with tenant_scope(world_a.tenant), CaptureQueriesContext(connection) as queries:
        report = backtest_report(tenant=world_a.tenant, scorecard=None, horizon_days=H)
    assert len(report.observations) == n
    # scorecard, catalog, events, then one inputs_as_of (7 statements) for the one scoring day
    assert len(queries) <= 11


def test_api_answers_the_backtest_and_names_bad_parameters(world_a, world_b):
    history(world_a)
    api = world_a.api()
    body = api.get("/api/v1/health/backtest").json()
    assert {"observations", "churned", "auc", "auc_interval", "roc", "components", "suggested", "verdict",
            "note", "bands"} <= set(body)
    assert (body["observations"], body["churned"], body["auc"], body["verdict"]) == (2, 1, 1.0, "weak")
    assert body["horizon_days"] == 14
    assert body["roc"][0] == {"fpr": 0.0, "tpr": 0.0}
    assert body["suggested"]["definition"] is None  # too few to fit
    for query, field in [("horizon_days=0", "horizon_days"), ("horizon_days=366", "horizon_days"),
                         ("horizon_days=x", "horizon_days"), ("scorecard=abc", "scorecard")]:
        response = api.get(f"/api/v1/health/backtest?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"][0]["field"] == field
    with tenant_scope(world_b.tenant):
        theirs = ensure_default_scorecard(tenant=world_b.tenant)
    with tenant_scope(world_a.tenant):
        before = Scorecard.objects.count()
    assert api.get(f"/api/v1/health/backtest?scorecard={theirs.pk}").status_code == 404
    assert world_a.client_for().get(f"/t/alpha/health/backtest/?scorecard={theirs.pk}").status_code == 404
    assert world_a.client_for().post("/t/alpha/health/backtest/", {
        "scorecard": theirs.pk, "definition": "{}"}).status_code == 404
    with tenant_scope(world_a.tenant):
        assert Scorecard.objects.count() == before
    with tenant_scope(world_b.tenant):
        assert ScorecardVersion.objects.filter(scorecard=theirs).count() == 1


def test_page_runs_the_backtest_as_a_job_and_shows_the_latest(world_a, django_assert_max_num_queries):
    history(world_a)
    client = world_a.client_for(world_a.viewer)
    with django_assert_max_num_queries(12):
        empty = client.get("/t/alpha/health/backtest/")
    assert empty.status_code == 200 and 'id="no-backtest"' in empty.content.decode()
    started = client.post("/t/alpha/health/backtest/run/", {"horizon_days": "14", "scorecard": ""})
    assert started.status_code == 302
    job_id = int(started["Location"].rstrip("/").rsplit("/", 1)[1])
    assert run_health_backtest(world_a.tenant.pk, job_id) == {"state": "done"}
    with tenant_scope(world_a.tenant):
        job = Job.objects.get(pk=job_id)
    assert (job.done, job.total) == (1, 1)  # one scoring day
    with django_assert_max_num_queries(12):
        page = client.get("/t/alpha/health/backtest/")
    html = page.content.decode()
    assert "Weak evidence" in html and 'id="auc">1.000<' in html and "DeLong" in html
    assert "<polyline" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Apply as a new version" not in html  # a viewer cannot apply (and nothing to suggest here)
    partial = client.get("/t/alpha/health/backtest/?horizon_days=7", headers={"HX-Request": "true",
                                                                            "HX-Target": "results"})
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and 'id="no-backtest"' in body  # not run for 7
    assert client.get("/t/alpha/health/backtest/?horizon_days=0").status_code == 400
    assert client.post("/t/alpha/health/backtest/run/", {"horizon_days": "400"}).status_code == 400


def test_apply_saves_the_suggested_definition_as_a_new_version(world_a):
    definition = {"components": [{"key": "tickets_per_seat", "category": "", "weight": 100,
                                  "mapping": {"kind": "ramp", "low": 0.1, "high": 2.0, "direction": "lower"}}],
                  "bands": {"red": 0, "yellow": 40, "green": 70}}
    assert world_a.client_for(world_a.viewer).post("/t/alpha/health/backtest/", {
        "definition": json.dumps(definition)}).status_code == 403
    response = world_a.client_for().post("/t/alpha/health/backtest/", {"definition": json.dumps(definition)})
    assert response.status_code == 302
    with tenant_scope(world_a.tenant):
        card = Scorecard.objects.select_related("current_version").get(is_default=True)
    assert card.current_version.number == 2
    assert card.current_version.definition["components"][0]["mapping"]["direction"] == "lower"
    bad = world_a.client_for().post("/t/alpha/health/backtest/", {"definition": json.dumps({"components": []})})
    assert bad.status_code == 400 and b"components" in bad.content
