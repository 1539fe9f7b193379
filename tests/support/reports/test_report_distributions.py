"""support.reports.distributions: bucket placement worked out by hand, and every histogram adding up to the
``count`` of the matching support_report figure for the same scope (tenant, each agent, each team)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.models import Agent, Team
from support.reports.distributions import BUCKETS, FIGURES, TENANT_WIDE, Scope, duration_distributions
from support.reports.selectors import support_report
from tests.support.conftest import add, make_ticket
from tests.support.reports.test_reports import FEB, JAN, MAR, NOW, data, utc  # noqa: F401 (the hand-computed fixture)


def dist(t, date_from, date_to, scope=TENANT_WIDE):
    return {m: list(h.counts) for m, h in duration_distributions(tenant=t, date_from=date_from, date_to=date_to,
                                                                 scope=scope).items()}


def test_buckets_by_hand(data):  # noqa: F811
    t = data["tenant"]
    assert [label for label, _ in BUCKETS] == ["< 1m", "1–5m", "5–15m", "15m–1h", "1–4h", "4–24h", "1–3d", "≥ 3d"]
    jan = dist(t, JAN, FEB)
    # Handle 300 (lower edge of 5-15m), 600 (chat), 900 (lower edge of 15m-1h); the note's 5000 s excluded.
    assert jan["handle_time"] == [0, 0, 2, 1, 0, 0, 0, 0]
    assert jan["first_response_time"] == [0, 2, 1, 0, 0, 0, 0, 0]  # 60, 120, 600
    assert jan["asa"] == [0, 2, 0, 0, 0, 0, 0, 0]  # 60, 120 (the abandoned call is not answered)
    assert jan["resolution_time"] == [0, 0, 0, 0, 1, 0, 0, 0]  # T1: 7200 s to its first resolution
    feb = dist(t, FEB, MAR)
    assert feb["resolution_time"] == [0, 0, 0, 0, 0, 0, 0, 1]  # T6: 47 days
    assert feb["handle_time"] == [0] * 8 and feb["asa"] == [0] * 8


def test_one_query_per_histogram(data):  # noqa: F811
    with CaptureQueriesContext(connection) as ctx:
        duration_distributions(tenant=data["tenant"], date_from=JAN, date_to=MAR)
    assert len(ctx.captured_queries) == len(FIGURES)
    with CaptureQueriesContext(connection) as ctx:  # a scope naming nobody has nothing to count
        result = duration_distributions(tenant=data["tenant"], date_from=JAN, date_to=MAR, scope=Scope("team"))
    assert len(ctx.captured_queries) == 0 and all(h.total == 0 for h in result.values())


def _counts(row):
    return {m: (row[m] or {}).get("count", 0) for m in FIGURES}


def _more_data(fixture):
    """Cases on the attribution edges: an explicit handle time on a call abandoned in Tier 2's queue, an
    agent without a team, and a ``system`` item with a handle time that must not count."""
    t = fixture["tenant"]
    loner = Agent.objects.create(tenant=t, email="lone@alpha.test", name="Lone")
    ticket = make_ticket(t, "X1", channel="phone", created_at=utc(2025, 1, 25, 12))
    add(t, ticket, "x1-call", channel="phone", started_at=utc(2025, 1, 25, 12), ended_at=utc(2025, 1, 25, 12, 3),
        queue_team="Tier 2", handle_seconds=45)
    add(t, ticket, "x1-reply", direction="outbound", author_type="agent", agent="lone@alpha.test",
        started_at=utc(2025, 1, 25, 13), handle_seconds=4000)
    add(t, ticket, "x1-sys", direction="outbound", author_type="system", started_at=utc(2025, 1, 25, 14),
        handle_seconds=10)
    return loner


@pytest.mark.parametrize("period", [(JAN, FEB), (FEB, MAR), (dt.date(2024, 12, 1), MAR)])
def test_histograms_add_up_to_the_report_counts(data, period):  # noqa: F811
    t = data["tenant"]
    loner = _more_data(data)
    date_from, date_to = period

    def report(group_by):
        return support_report(tenant=t, date_from=date_from, date_to=date_to, group_by=group_by, now=NOW)["rows"]

    [overall] = report("none")
    assert {m: sum(c) for m, c in dist(t, date_from, date_to).items()} == _counts(overall)
    agents = {a.email: a.pk for a in [data["ana"], data["bob"], data["cy"], loner]}
    for row in report("agent"):
        if row["group"] is not None:
            scoped = dist(t, date_from, date_to, Scope("agent", frozenset({agents[row["group"]]})))
            assert {m: sum(c) for m, c in scoped.items()} == _counts(row), row["group"]
    teams = dict(Team.objects.filter(tenant=t).values_list("name", "pk"))
    for row in report("team"):
        if row["group"] is not None:
            scoped = dist(t, date_from, date_to, Scope("team", frozenset({teams[row["group"]]})))
            assert {m: sum(c) for m, c in scoped.items()} == _counts(row), row["group"]


def test_other_tenants_items_never_count(data, world_b):  # noqa: F811
    # Tenant B has a look-alike January interaction with a 9,999 s handle time (1-4h): not in A's buckets.
    jan = dist(data["tenant"], JAN, FEB)
    assert jan["handle_time"][4] == 0 and sum(jan["handle_time"]) == 3


def test_pages_show_a_chart_per_duration_with_its_definition(data):  # noqa: F811
    from tests.support.reports.test_report_pages import JAN_QUERY, url
    world = data["world"]
    for name in ("report-agents", "report-teams", "report-management"):
        body = world.client_for().get(url(world, name, JAN_QUERY)).content.decode()
        for metric in FIGURES:
            assert f'id="dist-{metric}"' in body
        assert "per inbound live (chat, phone) interaction queued in the period and answered" in body
        assert "Handle time (AHT) 5–15m: 2" in body  # the bar's tooltip
        assert "style=" not in body
