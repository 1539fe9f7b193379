"""Writes of support teams (keyword-only, typed, atomic): a team's name, its agents and its managers.

Who manages a team decides what a manager sees in the support reports (support.reports.visibility), so a
team is saved whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Tenant
from support.models import Agent, Team, TeamManager


def save_team(*, tenant: Tenant, team: Team | None, name: str, agents: Sequence[Agent],
              managers: Sequence[AbstractBaseUser]) -> Team:
    """Create or update ``team``: its name; exactly ``agents`` in it (an agent of another team moves here,
    an agent left out moves to no team); exactly ``managers`` managing it."""
    agent_ids = {a.pk for a in agents}
    user_ids = {u.pk for u in managers}
    with transaction.atomic():
        if team is None:
            team = Team.objects.create(tenant=tenant, name=name)
        else:
            team.name = name
            team.save(update_fields=["name"])
        now = timezone.now()
        Agent.objects.filter(tenant=tenant, team=team).exclude(pk__in=agent_ids).update(team=None, updated_at=now)
        Agent.objects.filter(tenant=tenant, pk__in=agent_ids).exclude(team=team).update(team=team, updated_at=now)
        TeamManager.objects.filter(tenant=tenant, team=team).exclude(user__in=user_ids).delete()
        TeamManager.objects.bulk_create([TeamManager(tenant=tenant, team=team, user_id=pk) for pk in sorted(user_ids)],
                                        ignore_conflicts=True)
    return team


def delete_team(*, tenant: Tenant, team: Team) -> None:
    """Its agents move to no team and its manager rows go with it. Raises django.db.models.RestrictedError
    while support cost entries name the team (their cost per interaction would lose its team)."""
    with transaction.atomic():
        Team.objects.filter(tenant=tenant, pk=team.pk).delete()
