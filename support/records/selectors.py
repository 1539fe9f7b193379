"""Reads of support records for pages and the API (every read beyond a one-liner).

Every function takes the tenant explicitly and filters by it, even though the scoped manager would too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, Now
from django.utils import timezone

from accounts.models import Tenant
from support.models import (
    Agent,
    AgentSession,
    ArticleSuggestion,
    Interaction,
    Team,
    TeamManager,
    Ticket,
    TicketStatusChange,
)
from support.records.access import TICKET_RELATED


def ticket_list(*, tenant: Tenant) -> QuerySet:
    """Tickets with everything their list row shows, fetched in the same query."""
    return Ticket.objects.filter(tenant=tenant).select_related(*TICKET_RELATED)


def new_ticket(*, tenant: Tenant, pk: int) -> Ticket | None:
    """A ticket for the new-ticket hook, with what the SLA match reads; None once it is gone."""
    return Ticket.objects.filter(tenant=tenant, pk=pk).select_related("tenant", "account").first()


def unprocessed_ticket_ids(*, tenant: Tenant, since: dt.datetime, limit: int) -> list[int]:
    """Tickets created since ``since`` with neither an SLA policy nor article suggestions: the ones the
    new-ticket hook may have missed (one query)."""
    has_suggestions = ArticleSuggestion.objects.filter(
        tenant=tenant, ticket_id__in=Ticket.objects.filter(tenant=tenant, created_at__gte=since)
    ).values("ticket_id")
    return list(
        Ticket.objects.filter(tenant=tenant, created_at__gte=since, sla_policy__isnull=True)
        .exclude(pk__in=has_suggestions).values_list("pk", flat=True)[:limit]
    )


def ticket_by_external_id(*, tenant: Tenant, external_id: str) -> Ticket | None:
    """The ticket named by an integration, or None (the caller words the error for its field)."""
    return Ticket.objects.filter(tenant=tenant, external_id=external_id).first()


def ticket_interactions(*, tenant: Tenant, ticket: Ticket) -> QuerySet:
    """The conversation across every channel, in time order."""
    return (
        Interaction.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("agent", "queue_team").order_by("started_at", "id")
    )


def interaction_with_agent(*, tenant: Tenant, pk: int) -> Interaction:
    """An interaction just written, with what its API answer shows (raises DoesNotExist if none)."""
    return Interaction.objects.select_related("agent", "queue_team").get(tenant=tenant, pk=pk)


def ticket_status_history(*, tenant: Tenant, ticket: Ticket) -> QuerySet:
    return (
        TicketStatusChange.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("agent").order_by("changed_at", "id")
    )


def local_day_bounds(tenant: Tenant, day: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a local day (today by default) in the tenant's time zone, as aware datetimes."""
    zone = tenant.zone
    day = day or timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _clipped_seconds(start: dt.datetime, end: dt.datetime) -> ExpressionWrapper:
    """A session's duration clipped to ``[start, end)``; an open session runs until now."""
    return ExpressionWrapper(
        Least(Coalesce("ended_at", Now()), Value(end)) - Greatest("started_at", Value(start)),
        output_field=DurationField(),
    )


def online_time(*, tenant: Tenant, agent: Agent, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Time ``agent`` was online within ``[start, end)`` (sessions clipped to it)."""
    total = (
        AgentSession.objects.filter(tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .aggregate(total=Sum(_clipped_seconds(start, end)))["total"]
    )
    return max(total or dt.timedelta(0), dt.timedelta(0))


@dataclass
class PresenceRow:
    agent: Agent
    online_since: dt.datetime | None
    shifts: list[tuple[dt.datetime, dt.datetime | None]]


def presence_board(*, tenant: Tenant, start: dt.datetime, end: dt.datetime) -> list[PresenceRow]:
    """Agents online now and/or with a shift overlapping ``[start, end)``: two queries in all."""
    sessions = (
        AgentSession.objects.filter(tenant=tenant)
        .filter(
            Q(kind=AgentSession.Kind.ONLINE, ended_at__isnull=True)
            | Q(kind=AgentSession.Kind.SCHEDULED, started_at__lt=end, ended_at__gt=start)
        )
        .select_related("agent__team").order_by("started_at")
    )
    rows: dict[int, PresenceRow] = {}
    for session in sessions:
        row = rows.setdefault(session.agent_id, PresenceRow(session.agent, None, []))
        if session.kind == AgentSession.Kind.ONLINE:
            row.online_since = session.started_at
        else:
            row.shifts.append((session.started_at, session.ended_at))
    return sorted(rows.values(), key=lambda r: (r.online_since is None, (r.agent.name or r.agent.email).lower()))


def open_online_session(*, tenant: Tenant, agent: Agent) -> AgentSession | None:
    return AgentSession.objects.filter(
        tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE, ended_at__isnull=True
    ).first()


# -------------------------------------------------------------------------------------------- teams


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
