"""Who sees which rows of the support reports (support.reports.visibility): admins all, managers the teams
they manage and those teams' agents, agents their own row; CSV and histograms follow the same rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from support.models import TeamManager
from tests.support.reports.test_report_pages import JAN_QUERY, member, url
from tests.support.reports.test_reports import data  # noqa: F401 (the hand-computed fixture)


def groups(client, world, name, query=JAN_QUERY):
    response = client.get(url(world, name, query))
    assert response.status_code == 200
    return [c["group"] for c in response.context["compared"]]


def csv_groups(client, world, name):
    text = client.get(url(world, name, JAN_QUERY + "&format=csv")).content.decode()
    return [line[0] for line in list(csv.reader(io.StringIO(text)))[1:]]


def manager_of(world, username, *teams):
    m = member(world, Role.MANAGER, username)
    with world.scope():
        for team in teams:
            TeamManager.objects.create(tenant=world.tenant, team=team, user=m.user)
    return world.client_for(m)


def test_manager_sees_their_team_and_its_agents_only(data):  # noqa: F811
    world = data["world"]
    client = manager_of(world, "boss2@alpha.test", data["tier2"])
    # January: Tier 2 has cy's answered call and the call abandoned in its queue; Tier 1 and "no team" hidden.
    assert groups(client, world, "report-teams") == ["Tier 2"]
    assert groups(client, world, "report-agents") == ["cy@alpha.test"]
    assert csv_groups(client, world, "report-teams") == ["Tier 2"]
    assert csv_groups(client, world, "report-agents") == ["cy@alpha.test"]
    body = client.get(url(world, "report-agents", JAN_QUERY)).content.decode()
    assert "ana@alpha.test" not in body and "bob@alpha.test" not in body
    # The management page (tenant-wide totals) is the admins'.
    assert client.get(url(world, "report-management")).status_code == 403
    # The histograms count the same scope: cy's one call (handle 900 s, ASA 120 s, FRT 120 s).
    page = client.get(url(world, "report-agents", JAN_QUERY))
    dists = {d["metric"]: d["total"] for d in page.context["distributions"]}
    assert dists == {"handle_time": 1, "asa": 1, "first_response_time": 1, "resolution_time": 0}


def test_manager_of_two_teams_sees_both(data):  # noqa: F811
    world = data["world"]
    client = manager_of(world, "boss3@alpha.test", data["team"], data["tier2"])
    assert groups(client, world, "report-teams") == ["Tier 1", "Tier 2"]
    assert groups(client, world, "report-agents") == ["ana@alpha.test", "bob@alpha.test", "cy@alpha.test"]


def test_manager_of_no_team_sees_no_rows(data):  # noqa: F811
    world = data["world"]
    client = manager_of(world, "idle@alpha.test")
    assert groups(client, world, "report-teams") == []
    assert groups(client, world, "report-agents") == []
    assert csv_groups(client, world, "report-agents") == []
    response = client.get(url(world, "report-teams", JAN_QUERY))
    assert all(d["total"] == 0 for d in response.context["distributions"])


def test_admin_sees_every_row_and_the_unattributed_ones(data):  # noqa: F811
    world = data["world"]
    client = world.client_for()
    assert groups(client, world, "report-teams") == ["Tier 1", "Tier 2", None]
    assert groups(client, world, "report-agents") == ["ana@alpha.test", "bob@alpha.test", "cy@alpha.test", None]
    assert client.get(url(world, "report-management")).status_code == 200


def test_another_managers_team_stays_hidden(data):  # noqa: F811
    world = data["world"]
    manager_of(world, "boss-t1@alpha.test", data["team"])
    client = manager_of(world, "boss-t2@alpha.test", data["tier2"])
    assert groups(client, world, "report-teams") == ["Tier 2"]


@pytest.mark.parametrize("name", ["report-agents", "report-teams"])
def test_manager_query_count_does_not_grow_with_teams(data, name):  # noqa: F811
    world = data["world"]
    client = manager_of(world, "boss4@alpha.test", data["team"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world, name, JAN_QUERY)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    with world.scope():
        TeamManager.objects.create(tenant=world.tenant, team=data["tier2"],
                                   user=TeamManager.objects.filter(tenant=world.tenant).first().user)
    assert count() == few
