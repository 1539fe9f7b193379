"""Support report pages (support.reports.views): agreement with the API, the period picker, visibility,
CSV, definitions, htmx partials, permissions and a constant query count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from support.reports.forms import PeriodForm
from support.reports.selectors import compare_with_previous
from tests.factories import MembershipFactory, UserFactory
from tests.support.conftest import add, make_ticket
from tests.support.reports.test_reports import data  # noqa: F401 (the hand-computed fixture)

JAN_QUERY = "period=custom&date_from=2025-01-01&date_to=2025-01-31"


def url(world, name, query=""):
    return reverse(name, kwargs={"tenant_slug": world.tenant.slug}) + (f"?{query}" if query else "")


def member(world, role, username):
    with world.scope():
        return MembershipFactory(tenant=world.tenant, user=UserFactory(username=username), role=role)


@pytest.mark.parametrize("name, group_by", [("report-agents", "agent"), ("report-teams", "team"),
                                            ("report-management", "none")])
def test_page_and_api_agree(data, name, group_by):  # noqa: F811
    world = data["world"]
    response = world.client_for().get(url(world, name, JAN_QUERY))
    assert response.status_code == 200
    page_rows = [c["row"] for c in response.context["compared"]]
    api = world.api().get(f"/api/v1/reports/support?from=2025-01-01&to=2025-02-01&group_by={group_by}").json()
    assert page_rows == api["rows"] and page_rows
    # The previous period (December 2024 has 31 days too) is the same selector's answer for that period.
    previous = world.api().get(f"/api/v1/reports/support?from=2024-12-01&to=2025-01-01&group_by={group_by}").json()
    expected_prev = {r["group"]: r for r in previous["rows"]}
    for item in response.context["compared"]:
        assert item["previous"] == expected_prev.get(item["group"])
    assert response.context["period"]["previous_from"] == dt.date(2024, 12, 1)


def test_page_shows_rounded_durations_and_changes(data):  # noqa: F811
    world = data["world"]
    body = world.client_for().get(url(world, "report-management", JAN_QUERY)).content.decode()
    # January FRT over T1 (600 s), T2 (60 s), T4 (120 s): mean 260 s = 4m 20s; December had none.
    assert "4m 20s" in body and "(was —)" in body
    assert "Interactions per month" in body and "<svg" in body  # the YTD chart
    assert "style=" not in body and "<script>" not in body


@pytest.mark.parametrize("query, expected", [
    ("", (dt.date(2025, 5, 1), dt.date(2025, 6, 1))),
    ("period=this_month", (dt.date(2025, 5, 1), dt.date(2025, 6, 1))),
    ("period=last_month", (dt.date(2025, 4, 1), dt.date(2025, 5, 1))),
    ("period=ytd", (dt.date(2025, 1, 1), dt.date(2025, 5, 21))),
    ("period=custom&date_from=2025-01-01&date_to=2025-01-31", (dt.date(2025, 1, 1), dt.date(2025, 2, 1))),
    ("date_from=2025-02-01&date_to=2025-02-01", (dt.date(2025, 2, 1), dt.date(2025, 2, 2))),
])
def test_period_picker(world_a, query, expected):
    from django.http import QueryDict
    form = PeriodForm(QueryDict(query), tenant=world_a.tenant, today=dt.date(2025, 5, 20))
    assert form.is_valid(), form.errors
    assert form.dates() == expected


def test_period_picker_uses_the_fiscal_year(world_a):
    from django.http import QueryDict
    world_a.tenant.fiscal_year_start_month = 7
    form = PeriodForm(QueryDict("period=ytd"), tenant=world_a.tenant, today=dt.date(2025, 5, 20))
    assert form.is_valid() and form.dates() == (dt.date(2024, 7, 1), dt.date(2025, 5, 21))


@pytest.mark.parametrize("query, field", [
    ("period=week", "period"),
    ("period=custom", "date_from"),
    ("period=custom&date_from=2025-01-01", "date_to"),
    ("period=custom&date_from=2025-13-01&date_to=2025-01-31", "date_from"),
    ("period=custom&date_from=2025-02-01&date_to=2025-01-31", "date_to"),
    ("period=custom&date_from=2015-01-01&date_to=2025-01-31", "date_to"),
    ("period=custom&date_from=abc&date_to=2025-01-31", "date_from"),
])
def test_bad_period_is_a_form_error_not_a_500(world_a, query, field):
    for name in ("report-agents", "report-teams", "report-management"):
        response = world_a.client_for().get(url(world_a, name, query))
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert "filter-errors" in response.content.decode()
    csv_response = world_a.client_for().get(url(world_a, "report-agents", query + "&format=csv"))
    assert csv_response.status_code == 200 and "filter-errors" in csv_response.content.decode()


def test_agent_sees_only_their_own_row(data):  # noqa: F811
    world = data["world"]
    me = member(world, Role.AGENT, "ana-user@alpha.test")
    with world.scope():
        data["ana"].user = me.user
        data["ana"].save(update_fields=["user"])
    client = world.client_for(me)
    response = client.get(url(world, "report-agents", JAN_QUERY))
    assert response.status_code == 200
    assert [c["group"] for c in response.context["compared"]] == ["ana@alpha.test"]
    assert "bob@alpha.test" not in response.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(url(world, "report-agents", JAN_QUERY + "&format=csv"))
                                       .content.decode())))
    assert [r[0] for r in rows[1:]] == ["ana@alpha.test"]
    # An agent without a linked agent record sees no rows; team and management pages are not theirs.
    other = world.client_for(member(world, Role.AGENT, "nobody@alpha.test"))
    assert other.get(url(world, "report-agents", JAN_QUERY)).context["compared"] == []
    assert client.get(url(world, "report-teams")).status_code == 403
    assert client.get(url(world, "report-management")).status_code == 403


@pytest.mark.parametrize("name", ["report-agents", "report-teams", "report-management"])
def test_csm_and_viewer_get_403(world_a, name):
    for m in (world_a.csm, world_a.viewer):
        assert world_a.client_for(m).get(url(world_a, name)).status_code == 403


@pytest.mark.parametrize("name", ["report-agents", "report-teams", "report-management"])
def test_csv_matches_page_rows(data, name):  # noqa: F811
    world = data["world"]
    client = world.client_for()
    page = client.get(url(world, name, JAN_QUERY))
    response = client.get(url(world, name, JAN_QUERY + "&format=csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    compared = page.context["compared"]
    assert [r[next(iter(r))] for r in rows] == [c["group"] or "" for c in compared]
    for line, item in zip(rows, compared, strict=True):
        assert line["interactions"] == str(item["row"]["interactions"])
        frt = item["row"]["first_response_time"]
        assert line["first_response_time"] == ("" if frt is None else str(frt["mean"]))


def test_management_ytd_csv_tables(data):  # noqa: F811
    world = data["world"]
    client = world.client_for()
    page = client.get(url(world, "report-management"))
    months = list(csv.DictReader(io.StringIO(client.get(url(world, "report-management", "format=csv&table=ytd"))
                                             .content.decode())))
    assert [r["month"] for r in months] == [r["group"] for r in page.context["ytd"]["rows"]] + ["total"]
    teams = client.get(url(world, "report-management", "format=csv&table=ytd-teams"))
    assert teams.status_code == 200 and teams.content.decode().startswith("team,")


@pytest.mark.parametrize("name", ["report-agents", "report-teams", "report-management"])
def test_definitions_are_shown(world_a, name):
    body = world_a.client_for().get(url(world_a, name)).content.decode()
    assert 'title="count of interactions started in the period, internal notes and system excluded"' in body
    assert 'id="def-interactions"' in body and 'id="def-handle_time"' in body
    # METRICS.md's `code` is shown as code, never as raw backticks, in the footnotes and the histograms.
    assert "internal notes and <code>system</code> excluded" in body
    assert "`" not in body.split("<main>")[1]
    assert reverse("doc", args=["metrics"]) + "#interactions-and-tickets" in body


@pytest.mark.parametrize("name", ["report-agents", "report-teams", "report-management"])
def test_htmx_partial(world_a, name):
    client = world_a.client_for()
    partial = client.get(url(world_a, name, "period=last_month"), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "<table" in partial.content.decode() and "HX-Request" in partial["Vary"]
    assert "<html" in client.get(url(world_a, name)).content.decode()


def test_nav_link(world_a):
    body = world_a.client_for().get(url(world_a, "report-agents")).content.decode()
    assert url(world_a, "report-agents") in body


def test_compare_with_previous():
    report = {"rows": [{"group": "a", "interactions": 5, "handle_time": {"mean": 10.0}, "qa_score": None},
                       {"group": "b", "interactions": 1, "handle_time": None, "qa_score": 80.0}]}
    previous = {"rows": [{"group": "a", "interactions": 2, "handle_time": {"mean": 4.0}, "qa_score": 70.0}]}
    out = compare_with_previous(report, previous)
    assert out[0]["change"]["interactions"] == 3 and out[0]["change"]["handle_time"] == 6.0
    assert out[0]["change"]["qa_score"] is None
    assert out[1]["previous"] is None and out[1]["change"]["interactions"] is None


@pytest.mark.parametrize("name", ["report-agents", "report-teams", "report-management"])
def test_query_count_is_constant(desk, name):
    world, t = desk["world"], desk["tenant"]
    client = world.client_for()

    def grow(n, start):
        with world.scope():
            for i in range(start, start + n):
                created = dt.datetime(2025, 1, 2 + i % 25, 12, tzinfo=dt.UTC)
                ticket = make_ticket(t, f"Q{i}", created_at=created, channel="chat" if i % 2 else "email")
                add(t, ticket, f"q{i}-in", started_at=created)
                add(t, ticket, f"q{i}-out", direction="outbound", author_type="agent",
                    agent="ana@alpha.test" if i % 3 else "bob@alpha.test",
                    started_at=created + dt.timedelta(minutes=5), handle_seconds=60 + i)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world, name, JAN_QUERY)).status_code == 200
        return len(ctx.captured_queries)

    grow(5, 0)  # 10 interactions
    few = count()
    grow(25, 5)  # 60 interactions
    assert count() == few


def test_qa_score_in_rows_and_pages(data):  # noqa: F811
    from support.models import QaReview, QaRubric, Ticket
    from support.reports.selectors import support_report
    world, t = data["world"], data["tenant"]
    with world.scope():
        rubric = QaRubric.objects.create(tenant=t, name="R")
        ticket = Ticket.objects.filter(tenant=t).order_by("pk").first()
        for score, reviewer in ((80.0, world.admin.user), (90.0, world.csm.user)):
            QaReview.objects.create(tenant=t, ticket=ticket, agent=data["ana"], rubric=rubric, reviewer=reviewer,
                                    state=QaReview.State.SUBMITTED, score=score,
                                    submitted_at=dt.datetime(2025, 1, 15, tzinfo=dt.UTC))
        jan = {"tenant": t, "date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 2, 1)}
        agents = {r["group"]: r["qa_score"] for r in support_report(**jan, group_by="agent")["rows"]}
        teams = {r["group"]: r["qa_score"] for r in support_report(**jan, group_by="team")["rows"]}
        overall = support_report(**jan)["rows"][0]["qa_score"]
        months = support_report(**jan, group_by="month")["rows"][0]["qa_score"]
    assert agents["ana@alpha.test"] == 85.0 and agents["bob@alpha.test"] is None and agents[None] is None
    assert teams["Tier 1"] == 85.0 and overall == 85.0 and months is None
    body = world.client_for().get(url(world, "report-agents", JAN_QUERY)).content.decode()
    assert "85.0" in body


FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("query", [JAN_QUERY + "&format=csv", "format=csv&table=ytd-teams",
                                   "format=csv&table=ytd-team-months"])
def test_report_csvs_defuse_team_names_that_spreadsheets_would_run(data, query):  # noqa: F811
    """A team name is user text (agents' API, the team pages): in a CSV, ``=...`` would run as a formula."""
    from support.models import Team

    world = data["world"]
    with world.scope():
        Team.objects.filter(tenant=world.tenant, name="Tier 2").update(name=FORMULA)
    name = "report-teams" if query.startswith("period") else "report-management"
    body = world.client_for().get(url(world, name, query)).content.decode()
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "@", "+"))]
    if name == "report-teams":
        assert "'" + FORMULA in cells
    assert [c for c in cells if c.startswith("-")] == [c for c in cells if c.startswith("-") and _number(c)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
