"""The management page's YTD team x month table (support.reports.selectors.team_months through support.reports.views)
on a small fixture worked out by hand: two teams, the fiscal year set to start last month so that YTD is
exactly last month (P) and this month (M)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from support.models import Agent, SupportCost, Team
from support.reports.display import month_labels, team_month_tables
from tests.support.conftest import add, make_ticket
from tests.support.reports.test_report_pages import url


@pytest.fixture
def two_teams(world_a):
    world, t = world_a, world_a.tenant
    this_month = timezone.now().astimezone(t.zone).date().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    t.fiscal_year_start_month = last_month.month
    t.save(update_fields=["fiscal_year_start_month"])
    p, m = f"{last_month:%Y-%m}", f"{this_month:%Y-%m}"

    def at(month: dt.date, minute: int = 0, second: int = 0) -> dt.datetime:  # the 2nd, 10:00 in Los Angeles
        return dt.datetime(month.year, month.month, 2, 18, minute, second, tzinfo=dt.UTC)

    with world.scope():
        alpha, beta = Team.objects.create(tenant=t, name="Alpha team"), Team.objects.create(tenant=t, name="Beta team")
        Agent.objects.create(tenant=t, email="a1@alpha.test", team=alpha)
        Agent.objects.create(tenant=t, email="b1@alpha.test", team=beta)
        # P, Alpha: a chat answered after 30 s by a1, ended 5 min later (handle 300), and a1's email reply
        # on it with an explicit 120 s: 2 interactions, ASA 30, handle mean 210; cost 100 -> 50 each.
        chat = make_ticket(t, "P1", channel="chat", created_at=at(last_month))
        add(t, chat, "p1-chat", channel="chat", started_at=at(last_month), agent="a1@alpha.test",
            answered_at=at(last_month, 0, 30), ended_at=at(last_month, 5, 30))
        add(t, chat, "p1-reply", direction="outbound", author_type="agent", agent="a1@alpha.test",
            started_at=at(last_month, 10), handle_seconds=120)
        # P, Beta: a call answered after 90 s by b1, handle 600; no cost entry -> cost per interaction null.
        call = make_ticket(t, "P2", channel="phone", created_at=at(last_month))
        add(t, call, "p2-call", channel="phone", started_at=at(last_month), agent="b1@alpha.test",
            answered_at=at(last_month, 1, 30), ended_at=at(last_month, 11, 30))
        # M, Beta: a chat answered after 10 s by b1 (handle 60) and a call abandoned in Beta's queue:
        # 2 interactions, ASA 10 (one answered), handle 60; cost 30 -> 15 each. Alpha has nothing in M.
        chat2 = make_ticket(t, "M1", channel="chat", created_at=at(this_month))
        add(t, chat2, "m1-chat", channel="chat", started_at=at(this_month), agent="b1@alpha.test",
            answered_at=at(this_month, 0, 10), ended_at=at(this_month, 1, 10))
        lost = make_ticket(t, "M2", channel="phone", created_at=at(this_month, 20))
        add(t, lost, "m2-call", channel="phone", started_at=at(this_month, 20), ended_at=at(this_month, 22),
            queue_team="Beta team")
        SupportCost.objects.create(tenant=t, month=last_month, team=alpha, amount=100, currency="USD")
        SupportCost.objects.create(tenant=t, month=this_month, team=beta, amount=30, currency="USD")
    return {"world": world, "p": p, "m": m}


def figures(row):
    def mean(v):
        return None if v is None else v["mean"]
    return (row["month"], row["interactions"], mean(row["asa"]), mean(row["handle_time"]),
            row["cost_per_interaction"], row["csat_pct"])


def test_team_month_tables_by_hand(two_teams):
    world, p, m = two_teams["world"], two_teams["p"], two_teams["m"]
    response = world.client_for().get(url(world, "report-management"))
    assert response.status_code == 200
    tables = {t["team"]: [figures(r) for r in t["rows"]] for t in response.context["team_month_raw"]}
    assert tables == {
        "Alpha team": [(p, 2, 30.0, 210.0, 50.0, None), (m, 0, None, None, None, None)],
        "Beta team": [(p, 1, 90.0, 600.0, None, None), (m, 2, 10.0, 60.0, 15.0, None)],
    }
    body = response.content.decode()
    assert "Year to date by team and month" in body and "<h3>Alpha team</h3>" in body
    assert "3m 30s" in body and "50.00" in body  # Alpha's P handle mean, cost per interaction
    assert "CSAT of a ticket: its latest CSAT response" in body  # CSAT's definition; no answers: cells show —


def test_team_month_csv(two_teams):
    world, p, m = two_teams["world"], two_teams["p"], two_teams["m"]
    response = world.client_for().get(url(world, "report-management", "format=csv&table=ytd-team-months"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["team"], r["month"], r["interactions"], r["asa"], r["asa_count"], r["handle_time"],
             r["cost_per_interaction"], r["csat_pct"]) for r in rows] == [
        ("Alpha team", p, "2", "30.0", "1", "210.0", "50.0", ""),
        ("Alpha team", m, "0", "", "", "", "", ""),
        ("Beta team", p, "1", "90.0", "1", "600.0", "", ""),
        ("Beta team", m, "2", "10.0", "1", "60.0", "15.0", ""),
    ]


def test_team_month_table_is_admins_only(two_teams):
    from accounts.models import Role
    from tests.support.reports.test_report_pages import member
    world = two_teams["world"]
    manager = world.client_for(member(world, Role.MANAGER, "mgr@alpha.test"))
    assert manager.get(url(world, "report-management", "format=csv&table=ytd-team-months")).status_code == 403


def test_month_labels_and_the_no_team_table_last():
    assert month_labels("2024-11-01", "2025-02-01") == ["2024-11", "2024-12", "2025-01"]
    result = {"from": "2025-01-01", "to": "2025-02-01", "rows": [
        {"month": "2025-01", "group": None, "interactions": 1},
        {"month": "2025-01", "group": "beta", "interactions": 2},
        {"month": "2025-01", "group": "Alpha", "interactions": 3}]}
    assert [t["team"] for t in team_month_tables(result)] == ["Alpha", "beta", None]


def test_management_query_count_does_not_grow_with_teams_or_months_data(two_teams):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    world = two_teams["world"]
    client = world.client_for()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world, "report-management", "period=ytd")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    t = world.tenant
    this_month = timezone.now().astimezone(t.zone).date().replace(day=1)
    start = dt.datetime(this_month.year, this_month.month, 2, 18, tzinfo=dt.UTC)
    with world.scope():
        for i in range(3):
            team = Team.objects.create(tenant=t, name=f"Gamma {i}")
            Agent.objects.create(tenant=t, email=f"g{i}@alpha.test", team=team)
            ticket = make_ticket(t, f"G{i}", channel="chat", created_at=start)
            add(t, ticket, f"g{i}-chat", channel="chat", started_at=start, agent=f"g{i}@alpha.test",
                answered_at=start + dt.timedelta(seconds=5 + i), ended_at=start + dt.timedelta(minutes=3))
    assert count() == few


def test_totals_are_the_team_report_over_the_whole_range(two_teams):
    """team_months' totals come from the same queries as its months, as one more overlapping period, and
    must equal support_report by team over the range (figures, QA score and order)."""
    from support.reports.selectors import support_report, team_months

    world = two_teams["world"]
    first = dt.date.fromisoformat(two_teams["p"] + "-01")
    last = dt.date.fromisoformat(two_teams["m"] + "-01")
    end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    now = timezone.now()
    with world.scope():
        result = team_months(tenant=world.tenant, date_from=first, date_to=end, now=now)
        report = support_report(tenant=world.tenant, date_from=first, date_to=end, group_by="team", now=now)
    assert result["totals"] == report["rows"]
    # The "no team" row holds tickets nobody answered (FRT attribution), none of the interactions.
    assert {r["group"]: r["interactions"] for r in result["totals"]} == {"Alpha team": 2, "Beta team": 3, None: 0}
