"""Reads of the team pages: teams with their agent counts and managers, in two queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Tenant
from support.models import Agent, Team, TeamManager


def team_list(*, tenant: Tenant) -> QuerySet[Team]:
    managers = (TeamManager.objects.filter(tenant=tenant).select_related("user")
                .order_by("user__email", "user__username"))
    return (Team.objects.filter(tenant=tenant).annotate(agent_count=Count("agents"))
            .prefetch_related(Prefetch("managers", queryset=managers)).order_by("name"))


def team_member_ids(*, tenant: Tenant, team: Team) -> tuple[list[int], list[int]]:
    """The team's agent ids and its managers' user ids (the edit form's initial ticks)."""
    agents = list(Agent.objects.filter(tenant=tenant, team=team).values_list("pk", flat=True))
    users = list(TeamManager.objects.filter(tenant=tenant, team=team).values_list("user_id", flat=True))
    return agents, users
