"""survey_report against the hand-counted fixture (tests/surveys/reports/fixtures.py), every grouping, the
intervals, late responses, suppressed by reason, and the API's shape and 400s."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.reports.selectors import survey_report
from surveys.reports.stats import nps_interval, small, wilson_interval
from tests.surveys.reports import fixtures

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


# --- the intervals, against values worked by hand (z = 1.6449, two-sided 90%) ------------------------------

def test_wilson_interval_by_hand():
    # 2 of 4: p = .5, z²/n = .6764, centre = (.5 + .3382) / 1.6764 = .5, half = z * sqrt(.0625 + .0423) / 1.6764
    low, high = wilson_interval(2, 4)
    assert low == pytest.approx(18.240, abs=1e-3) and high == pytest.approx(81.760, abs=1e-3)
    low, high = wilson_interval(3, 4)  # centre .6491, half .2930
    assert low == pytest.approx(35.617, abs=1e-3) and high == pytest.approx(94.209, abs=1e-3)
    # 0 of 5: centre = half = (z²/10) / (1 + z²/5) = .1756, so the interval starts at 0, not below
    assert wilson_interval(0, 5) == pytest.approx((0.0, 35.112), abs=1e-3)
    assert wilson_interval(0, 0) is None


def test_nps_interval_by_hand():
    # P 2, passive 1, D 2: mean 0, variance 4/5 = .8, se = sqrt(.8 / 5) = .4, half = .6579
    assert nps_interval(2, 1, 2) == pytest.approx((-65.794, 65.794), abs=1e-3)
    # P 3, passive 1: mean .75, variance .75 - .5625 = .1875, se = .2165, half .3561; clipped at 100
    assert nps_interval(3, 1, 0) == pytest.approx((39.388, 100.0), abs=1e-3)
    assert nps_interval(1, 0, 0) == (100.0, 100.0)  # one answer: no spread (why the page greys it)
    assert nps_interval(0, 0, 0) is None


def test_small_is_one_to_nine():
    assert [small(n) for n in (0, 1, 9, 10)] == [False, True, True, False]


# --- the report -------------------------------------------------------------------------------------------

@pytest.fixture
def data(world_a, world_b):
    fixtures.build(world_b)  # look-alike data in the other tenant: must not leak into A's figures
    return fixtures.build(world_a)


def _report(world, group_by="none", start=JAN, end=FEB):
    with world.scope():
        return survey_report(tenant=world.tenant, start=start, end=end, group_by=group_by)


def _by(report):
    return {r["group"]: r for r in report["rows"]}


def test_overall_figures(world_a, data):
    report = _report(world_a)
    assert (report["from"], report["to"], report["timezone"]) == ("2026-01-01", "2026-02-01", "America/Los_Angeles")
    [row] = report["rows"]
    assert row["group"] is None
    assert row["csat"] == {"pct": 50.0, "avg": 3.5, "n": 4, "satisfied": 2,
                           "interval": pytest.approx([18.240, 81.760], abs=1e-3)}
    assert row["nps"] == {"score": 0.0, "n": 5, "promoters": 2, "passives": 1, "detractors": 2,
                          "interval": pytest.approx([-65.794, 65.794], abs=1e-3)}
    assert row["ces"] == {"avg": 4.5, "n": 2}
    # 4 sent in January; inv1 answered in January, inv3 in February (late, still counted); December's
    # invitation answered in January is in neither side.
    assert (row["invitations_sent"], row["responses"], row["response_rate"]) == (4, 2, 0.5)
    assert row["suppressed"] == 3
    assert row["suppressed_by_reason"]["contact_cooldown"] == 1
    assert row["suppressed_by_reason"]["opted_out"] == 1
    assert row["suppressed_by_reason"]["ticket_reopened"] == 1
    assert row["suppressed_by_reason"]["skipped_channel"] == 1  # listed, not in "suppressed"
    assert sum(row["suppressed_by_reason"].values()) == 4


def test_late_response_counts_for_the_month_its_invitation_was_sent(world_a, data):
    before = _report(world_a)["rows"][0]
    assert before["responses"] == 2
    february = _report(world_a, start=FEB, end=MAR)["rows"][0]
    # February: the NPS 10 answering January's inv3 is February's NPS, but not February's response rate.
    assert february["nps"]["n"] == 1 and february["invitations_sent"] == 0 and february["response_rate"] is None
    assert february["suppressed"] == 1


def test_empty_period_is_zeros_and_nulls(world_a, data):
    [row] = _report(world_a, start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 1))["rows"]
    assert row["csat"] == {"pct": None, "avg": None, "n": 0, "satisfied": 0, "interval": None}
    assert row["nps"]["score"] is None and row["nps"]["interval"] is None and row["ces"]["avg"] is None
    assert (row["invitations_sent"], row["responses"], row["response_rate"], row["suppressed"]) == (0, 0, None, 0)


def test_by_month_buckets_in_the_tenant_zone(world_a, data):
    rows = _report(world_a, "month", start=dt.date(2025, 12, 1), end=MAR)["rows"]
    assert [r["group"] for r in rows] == ["2025-12", "2026-01", "2026-02"]
    dec, jan, feb = rows
    # 31 Dec 23:59 local is December's (07:59 UTC on 1 January); 31 Jan 23:30 local is January's.
    assert (dec["csat"]["n"], dec["csat"]["pct"]) == (1, 0.0)
    assert jan["csat"]["n"] == 4 and feb["csat"]["n"] == 0
    assert (dec["invitations_sent"], dec["responses"]) == (1, 1)  # answered in January: still December's rate
    assert (jan["invitations_sent"], jan["responses"]) == (4, 2)
    assert (feb["nps"]["n"], feb["suppressed"]) == (1, 1)  # the 00:30 local suppression on 1 February


def test_a_month_row_equals_that_month_alone(world_a, data):
    by_month = _by(_report(world_a, "month", start=dt.date(2025, 12, 1), end=MAR))
    alone = _report(world_a)["rows"][0]
    assert {**by_month["2026-01"], "group": None, "name": None} == {**alone, "name": None}


def test_by_agent_follows_the_resolved_assignee(world_a, data):
    rows = _by(_report(world_a, "agent"))
    assert list(rows) == ["ana@alpha.test", "bob@alpha.test", None]  # by name; the null group last
    ana, bob, none = rows["ana@alpha.test"], rows["bob@alpha.test"], rows[None]
    assert (ana["name"], bob["name"], none["name"]) == ("Ana", "bob@alpha.test", "No agent")
    assert (ana["csat"]["n"], ana["csat"]["pct"], ana["csat"]["avg"]) == (2, 50.0, 3.5)
    assert (bob["csat"]["n"], bob["csat"]["pct"]) == (1, 100.0)
    assert (none["csat"]["n"], none["nps"]["n"], none["ces"]["n"]) == (1, 5, 2)  # answers without a ticket
    sent = (ana["invitations_sent"], ana["responses"], bob["invitations_sent"], none["invitations_sent"])
    assert sent == (2, 1, 1, 1)
    assert none["responses"] == 1  # inv3, answered in February
    assert none["suppressed"] == 3  # the suppressed invitations have no ticket
    assert ana["csat"]["interval"] == pytest.approx(list(wilson_interval(1, 2)))


def test_by_team_and_channel(world_a, data):
    teams = _by(_report(world_a, "team"))
    assert list(teams) == ["Red", None]
    assert teams["Red"]["csat"]["n"] == 2 and teams[None]["csat"]["n"] == 2  # Bob has no team; one without ticket
    assert teams[None]["name"] == "No team"
    channels = _by(_report(world_a, "channel"))
    assert list(channels) == ["chat", "email", None]
    names = (channels["chat"]["name"], channels["email"]["name"], channels[None]["name"])
    assert names == ("Chat", "Email", "No ticket")
    assert (channels["email"]["csat"]["n"], channels["chat"]["csat"]["n"], channels[None]["csat"]["n"]) == (2, 1, 1)
    assert (channels["email"]["invitations_sent"], channels["chat"]["invitations_sent"]) == (2, 1)


def test_by_account_and_survey(world_a, data):
    accounts = _by(_report(world_a, "account"))
    assert list(accounts) == ["acc-0", "acc-1", "acc-2"]
    acc0 = accounts["acc-0"]  # contacts 0 and 3
    assert acc0["name"] == "Acme 0"
    assert (acc0["csat"]["n"], acc0["nps"]["n"], acc0["ces"]["n"]) == (3, 3, 1)
    assert acc0["nps"]["score"] == pytest.approx(100 * (1 - 2) / 3)  # 10, 0, 3
    assert (acc0["invitations_sent"], acc0["responses"]) == (2, 1)
    surveys = _by(_report(world_a, "survey"))
    names = {r["name"]: r for r in surveys.values()}
    assert set(names) == {"Support CSAT", "Relationship NPS", "Effort"}
    assert str(data["csat"].pk) in surveys
    assert names["Support CSAT"]["csat"]["n"] == 4 and names["Support CSAT"]["nps"]["n"] == 0
    assert (names["Support CSAT"]["invitations_sent"], names["Support CSAT"]["suppressed"]) == (3, 3)
    assert (names["Relationship NPS"]["invitations_sent"], names["Relationship NPS"]["responses"]) == (1, 1)


def test_large_groups_have_no_interval(world_a, data):
    from surveys.models import SurveyResponse

    with world_a.scope():
        SurveyResponse.objects.bulk_create([SurveyResponse(
            tenant=world_a.tenant, survey=data["csat"], contact=world_a.contacts[0],
            account=world_a.contacts[0].account, score=5, submitted_at=fixtures.local(2026, 1, 9)) for _ in range(6)])
    row = _report(world_a)["rows"][0]
    assert row["csat"]["n"] == 10 and row["csat"]["interval"] is None and row["csat"]["pct"] == 80.0


@pytest.mark.parametrize("group_by", ["none", "month", "account", "agent", "team", "channel", "survey"])
def test_three_queries_whatever_the_grouping(world_a, data, group_by):
    with world_a.scope(), CaptureQueriesContext(connection) as ctx:
        survey_report(tenant=world_a.tenant, start=dt.date(2025, 1, 1), end=MAR, group_by=group_by)
    assert len(ctx) <= 4, [q["sql"] for q in ctx]  # three, plus the tenant scope's setting


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="group_by"):
        survey_report(tenant=None, start=JAN, end=FEB, group_by="week")
    with pytest.raises(ValueError, match="end"):
        survey_report(tenant=None, start=FEB, end=JAN)


# --- the API ----------------------------------------------------------------------------------------------

def test_api_answers_the_selector(world_a, data):
    response = world_a.api().get("/api/v1/reports/surveys?from=2026-01-01&to=2026-02-01&group_by=agent")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["group_by"] == "agent" and body == {**_report(world_a, "agent"), "rows": body["rows"]}
    ana = next(r for r in body["rows"] if r["group"] == "ana@alpha.test")
    assert ana["csat"]["pct"] == 50.0 and ana["nps"]["n"] == 0 and ana["response_rate"] == 0.5
    assert set(ana) >= {"nps", "csat", "ces", "invitations_sent", "responses", "response_rate", "suppressed"}


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-01-01", "to"),
    ("from=2026-13-01&to=2026-02-01", "from"),
    ("from=2026-02-01&to=2026-01-01", "to"),
    ("from=2026-01-01&to=2026-02-01&group_by=week", "group_by"),
    ("from=2026-01-01&to=2036-02-01", "to"),
    ("from=１２&to=2026-02-01", "from"),
])
def test_api_bad_params_are_400_naming_the_field(world_a, query, field):
    response = world_a.api().get(f"/api/v1/reports/surveys?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_api_without_dates_is_this_month(world_a):
    body = world_a.api().get("/api/v1/reports/surveys").json()
    assert body["from"].endswith("-01") and len(body["rows"]) == 1
