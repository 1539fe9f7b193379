"""Which rows of the support reports a tenant member may see ("agents see their own figures; managers
their teams; admins all").

- ``reports.all`` (admin): every row, the ``null`` (no agent / no team) rows included.
- ``reports.manage`` without ``reports.all`` (manager): on the team report the teams they manage
  (support.TeamManager rows naming their user), on the agent report the agents currently in those teams.
  A manager of no team sees no rows.
- otherwise (agent): only the Agent whose ``user`` is theirs; none linked = no rows.

Report rows are labelled, not keyed by id (support.reports gives an agent's email, a team's name). Both are
unique per tenant (case-insensitive constraints; the selector takes the label from the same column), so a
label identifies one agent / team and filtering by label equals filtering by id. The ids are kept as well
for the selectors that filter in SQL (support.reports.distributions).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from accounts.permissions import has_permission
from support.desk.selectors import agent_of_user
from support.models import Agent, Team


@dataclass(frozen=True)
class Visibility:
    everything: bool = False
    team_ids: frozenset[int] = frozenset()
    team_names: frozenset[str] = frozenset()
    agent_ids: frozenset[int] = frozenset()
    agent_emails: frozenset[str] = frozenset()

    def shows_team(self, label: str | None) -> bool:
        return self.everything or (label is not None and label in self.team_names)

    def shows_agent(self, label: str | None) -> bool:
        return self.everything or (label is not None and label in self.agent_emails)


EVERYTHING = Visibility(everything=True)


def managed_teams(*, tenant, user) -> list[Team]:
    return list(Team.objects.filter(tenant=tenant, managers__tenant=tenant, managers__user=user)
                .order_by("name").distinct())


def report_visibility(request: HttpRequest) -> Visibility:
    """At most two queries (a manager's teams, then their agents)."""
    tenant, user = request.tenant, request.user
    if has_permission(request, "reports.all"):
        return EVERYTHING
    if has_permission(request, "reports.manage"):
        teams = managed_teams(tenant=tenant, user=user)
        agents = list(Agent.objects.filter(tenant=tenant, team__in=[t.pk for t in teams]).values_list("pk", "email"))
        return Visibility(team_ids=frozenset(t.pk for t in teams), team_names=frozenset(t.name for t in teams),
                          agent_ids=frozenset(pk for pk, _ in agents),
                          agent_emails=frozenset(email for _, email in agents))
    agent = agent_of_user(tenant=tenant, user=user)
    if agent is None:
        return Visibility()
    return Visibility(agent_ids=frozenset({agent.pk}), agent_emails=frozenset({agent.email}))
