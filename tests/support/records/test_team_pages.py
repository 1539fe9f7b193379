"""Support team pages (support.records.views): list, create, edit, delete; admins only; errors naming the
field with nothing written; htmx partials; a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from support.models import Agent, SupportCost, Team, TeamManager
from tests.factories import MembershipFactory, UserFactory


def url(world, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": world.tenant.slug, **kwargs})


def member(world, role, username):
    with world.scope():
        return MembershipFactory(tenant=world.tenant, user=UserFactory(username=username, email=username), role=role)


@pytest.fixture
def setup(desk):
    world = desk["world"]
    boss = member(world, Role.MANAGER, "boss@alpha.test")
    with world.scope():
        tier2 = Team.objects.create(tenant=world.tenant, name="Tier 2")
        cy = Agent.objects.create(tenant=world.tenant, email="cy@alpha.test", name="Cy", team=tier2)
    return {**desk, "boss": boss, "tier2": tier2, "cy": cy}


def snapshot(world):
    with world.scope():
        return (sorted(Team.objects.filter(tenant=world.tenant).values_list("name", flat=True)),
                sorted(Agent.objects.filter(tenant=world.tenant).values_list("email", "team__name")),
                sorted(TeamManager.objects.filter(tenant=world.tenant).values_list("team__name", "user__username")))


def test_list_shows_teams_agent_counts_and_managers(setup):
    world = setup["world"]
    with world.scope():
        TeamManager.objects.create(tenant=world.tenant, team=setup["team"], user=setup["boss"].user)
    response = world.client_for().get(url(world, "team-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tier 1" in body and "Tier 2" in body and "boss@alpha.test" in body
    counts = {t.name: t.agent_count for t in response.context["page"].object_list}
    assert counts == {"Tier 1": 2, "Tier 2": 1}


def test_list_query_count_is_bounded(setup):
    world = setup["world"]
    client = world.client_for()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world, "team-list")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    with world.scope():
        for i in range(6):
            team = Team.objects.create(tenant=world.tenant, name=f"Extra {i}")
            Agent.objects.create(tenant=world.tenant, email=f"x{i}@alpha.test", team=team)
            TeamManager.objects.create(tenant=world.tenant, team=team,
                                       user=member(world, Role.MANAGER, f"m{i}@alpha.test").user)
    assert count() == few


def test_create_team_with_agents_and_managers(setup):
    world = setup["world"]
    response = world.client_for().post(url(world, "team-create"), {
        "name": "  Escalations ", "agents": [setup["ana"].pk, setup["cy"].pk], "managers": [setup["boss"].user.pk]})
    assert response.status_code == 302
    with world.scope():
        team = Team.objects.get(tenant=world.tenant, name="Escalations")
        assert set(Agent.objects.filter(tenant=world.tenant, team=team).values_list("email", flat=True)) == {
            "ana@alpha.test", "cy@alpha.test"}  # cy moved from Tier 2
        assert list(TeamManager.objects.filter(tenant=world.tenant, team=team).values_list("user", flat=True)) == [
            setup["boss"].user.pk]
        assert Agent.objects.get(tenant=world.tenant, pk=setup["bob"].pk).team_id == setup["team"].pk


def test_edit_sets_exactly_the_ticked_agents_and_managers(setup):
    world = setup["world"]
    other = member(world, Role.MANAGER, "other@alpha.test")
    with world.scope():
        TeamManager.objects.create(tenant=world.tenant, team=setup["team"], user=setup["boss"].user)
    client = world.client_for()
    page = client.get(url(world, "team-edit", team_pk=setup["team"].pk))
    assert page.status_code == 200
    assert set(page.context["form"].initial["agents"]) == {setup["ana"].pk, setup["bob"].pk}
    response = client.post(url(world, "team-edit", team_pk=setup["team"].pk), {
        "name": "Tier One", "agents": [setup["bob"].pk], "managers": [other.user.pk]})
    assert response.status_code == 302
    assert snapshot(world) == (
        ["Tier 2", "Tier One"],
        [("ana@alpha.test", None), ("bob@alpha.test", "Tier One"), ("cy@alpha.test", "Tier 2")],
        [("Tier One", "other@alpha.test")],
    )


@pytest.mark.parametrize("data, field", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "tier 2"}, "name"),  # names are unique ignoring case
    ({"name": "x" * 101}, "name"),
    ({"name": "New", "agents": ["999999"]}, "agents"),
    ({"name": "New", "agents": ["abc"]}, "agents"),
    ({"name": "New", "managers": ["csm"]}, "managers"),  # replaced by the CSM's user id below: not a manager
])
def test_bad_input_is_a_field_error_and_writes_nothing(setup, data, field):
    world = setup["world"]
    if data.get("managers") == ["csm"]:
        data = {**data, "managers": [world.csm.user.pk]}
    before = snapshot(world)
    response = world.client_for().post(url(world, "team-edit", team_pk=setup["team"].pk), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "has-error" in response.content.decode()
    assert snapshot(world) == before


def test_other_tenants_agent_or_manager_is_an_invalid_choice(setup, world_b):
    world = setup["world"]
    with world_b.scope():
        b_team = Team.objects.create(tenant=world_b.tenant, name="B team")
        b_agent = Agent.objects.create(tenant=world_b.tenant, email="b@bravo.test", team=b_team)
        b_manager = MembershipFactory(tenant=world_b.tenant, role=Role.MANAGER,
                                      user=UserFactory(username="bm@bravo.test"))
    client = world.client_for()
    for field, value in (("agents", b_agent.pk), ("managers", b_manager.user.pk)):
        response = client.post(url(world, "team-create"), {"name": "Sneaky", field: [value]})
        assert field in response.context["form"].errors
    with world_b.scope():
        assert Agent.objects.get(tenant=world_b.tenant, pk=b_agent.pk).team_id == b_team.pk
    assert "Sneaky" not in snapshot(world)[0]


def test_delete_moves_agents_to_no_team(setup):
    world = setup["world"]
    with world.scope():
        TeamManager.objects.create(tenant=world.tenant, team=setup["tier2"], user=setup["boss"].user)
    response = world.client_for().post(url(world, "team-delete", team_pk=setup["tier2"].pk))
    assert response.status_code == 302
    teams, agents, managers = snapshot(world)
    assert teams == ["Tier 1"] and ("cy@alpha.test", None) in agents and managers == []


def test_delete_refused_while_cost_entries_name_the_team(setup):
    world = setup["world"]
    with world.scope():
        SupportCost.objects.create(tenant=world.tenant, month=dt.date(2025, 1, 1), team=setup["tier2"], amount=10,
                                   currency="USD")
    before = snapshot(world)
    response = world.client_for().post(url(world, "team-delete", team_pk=setup["tier2"].pk), follow=True)
    assert "support cost entries" in response.content.decode()
    assert snapshot(world) == before


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.CSM, Role.VIEWER])
def test_only_admins(setup, role):
    world = setup["world"]
    client = world.client_for(member(world, role, f"{role}-x@alpha.test"))
    assert client.get(url(world, "team-list")).status_code == 403
    assert client.post(url(world, "team-create"), {"name": "X"}).status_code == 403
    assert client.post(url(world, "team-delete", team_pk=setup["team"].pk)).status_code == 403
    assert snapshot(world)[0] == ["Tier 1", "Tier 2"]


def test_htmx_partials(setup):
    world = setup["world"]
    client = world.client_for()
    listing = client.get(url(world, "team-list"), headers={"HX-Request": "true"})
    assert "<html" not in listing.content.decode() and "<table" in listing.content.decode()
    form = client.post(url(world, "team-create"), {"name": ""}, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode()
    assert 'id="team-form"' in form.content.decode()
    saved = client.post(url(world, "team-create"), {"name": "Night"}, headers={"HX-Request": "true"})
    assert saved["HX-Redirect"] == url(world, "team-list")
    page = client.get(url(world, "team-create")).content.decode()
    assert "<html" in page and "style=" not in page


def test_manager_sees_their_new_team_in_the_reports(setup):
    """The point of the page: after an admin ticks a manager, that manager sees the team's row."""
    world = setup["world"]
    world.client_for().post(url(world, "team-edit", team_pk=setup["tier2"].pk),
                            {"name": "Tier 2", "agents": [setup["cy"].pk], "managers": [setup["boss"].user.pk]})
    from support.reports.visibility import managed_teams
    with world.scope():
        assert [t.name for t in managed_teams(tenant=world.tenant, user=setup["boss"].user)] == ["Tier 2"]


def test_demo_managers_manage_the_frontline_team(world_a):
    from support.demo import FRONTLINE, seed_team_managers
    world = world_a
    boss = member(world, Role.MANAGER, "demo-boss@alpha.test")
    with world.scope():
        assert seed_team_managers(tenant=world.tenant) == 0  # no Frontline team yet
        team = Team.objects.create(tenant=world.tenant, name=FRONTLINE)
        assert seed_team_managers(tenant=world.tenant) == 1
        assert seed_team_managers(tenant=world.tenant) == 0  # idempotent
        assert list(TeamManager.objects.filter(tenant=world.tenant).values_list("team", "user")) == [
            (team.pk, boss.user.pk)]
