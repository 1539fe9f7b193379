"""Reads of support records for pages and the API (every read beyond a one-liner).

Every function takes the tenant explicitly and filters by it, even though the scoped manager would too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, Now
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tenant
from accounts.timeline.registry import EventKind, TimelineEvent, TimelineQuery, TimelineSource, keyset
from support.models import (
    Agent,
    AgentSession,
    ArticleSuggestion,
    AuthorType,
    Channel,
    Direction,
    Interaction,
    Priority,
    Team,
    TeamManager,
    Ticket,
    TicketOpenSpan,
    TicketStatus,
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


def recently_resolved_tickets(*, tenant: Tenant, since: dt.datetime) -> QuerySet:
    """Tickets now resolved or closed whose last resolution is at or after ``since`` and that were not
    merged away (a merged ticket is closed by the merge, which is no resolution to ask about), for the
    CSAT scheduler (surveys.triggers), which refines the queryset with its own ``Exists`` filters.

    ``auto_resolved``: no status row that made the last resolution (status resolved at
    ``last_resolved_at``) names an agent or a person: a bot, a rule, or an integration that did not say
    who (``POST /tickets/{id}/status`` without ``agent``). ``contact_account_id``: the account of the contact
    (invitations go to the contact's account, which may differ from the ticket's)."""
    by_someone = TicketStatusChange.objects.filter(
        tenant=tenant, ticket=OuterRef("pk"), status=TicketStatus.RESOLVED, changed_at=OuterRef("last_resolved_at"),
    ).filter(Q(agent__isnull=False) | Q(changed_by__isnull=False))
    return (
        Ticket.objects.filter(tenant=tenant, status__in=FINISHED, last_resolved_at__gte=since,
                              merged_into__isnull=True)
        .annotate(auto_resolved=~Exists(by_someone),
                  contact_account_id=F("contact__account_id"))
        .order_by("last_resolved_at", "id")
    )


def ticket_interactions(*, tenant: Tenant, ticket: Ticket) -> QuerySet:
    """The conversation across every channel, in time order."""
    return (
        Interaction.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("agent", "queue_team").order_by("started_at", "id")
    )


def interaction_with_agent(*, tenant: Tenant, pk: int) -> Interaction:
    """An interaction just written, with what its API answer shows (raises DoesNotExist if none)."""
    return Interaction.objects.select_related("agent", "queue_team").get(tenant=tenant, pk=pk)


def outbound_contacts(*, tenant: Tenant) -> QuerySet:
    """Interactions that are an agent reaching out to the customer: outbound, written or made by an agent,
    not an internal note (a public ticket reply, an outbound call). A queryset other apps refine (the
    surveys' closed loop takes the first one to a contact after an answer)."""
    return Interaction.objects.filter(tenant=tenant, direction=Direction.OUTBOUND, author_type=AuthorType.AGENT,
                                      is_internal=False)


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


# ----------------------------------------------------------------------------------- the timeline
# Support's events on the account and contact timelines (accounts.timeline.registry), registered by
# SupportConfig.ready(). Opened is the ticket's created_at (index support_ticket_account / _contact);
# resolved and reopened come from the status history (index support_status_ticket, reached through the
# subject's tickets). One bounded query per source and page.

TICKET_OPENED = EventKind("ticket.opened", "Ticket opened")
TICKET_RESOLVED = EventKind("ticket.resolved", "Ticket resolved")
TICKET_REOPENED = EventKind("ticket.reopened", "Ticket reopened")
FINISHED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
UNFINISHED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
CHANNEL_LABELS = dict(Channel.choices)


def _subject_filter(query: TimelineQuery, prefix: str = "") -> dict:
    if query.account is not None:
        return {f"{prefix}account": query.account}
    return {f"{prefix}contact": query.contact}


def _ticket_event(query: TimelineQuery, *, at: dt.datetime, kind: str, key: int, title: str, ticket_pk: int,
                  subject: str, channel: str, contact: str, by: str = "") -> TimelineEvent:
    channel_label = CHANNEL_LABELS.get(channel, channel)
    facts = [channel_label]
    if contact and query.account is not None:  # on the contact's own page, the contact goes without saying
        facts.append(contact)
    if by:
        facts.append(f"by {by}")
    return TimelineEvent(at=at, kind=kind, key=key, title=title,
                         detail=subject or f"{channel_label} ticket from {contact or 'a contact'}",
                         url=reverse("ticket-detail", args=[query.tenant.slug, ticket_pk]), context=" · ".join(facts))


def timeline_tickets_opened(query: TimelineQuery) -> list[TimelineEvent]:
    tickets = Ticket.objects.filter(tenant=query.tenant, **_subject_filter(query))
    rows = keyset(tickets, query=query, kinds={TICKET_OPENED.name: Q()}, at="created_at").values_list(
        "pk", "created_at", "subject", "channel", "contact__name", "contact__email")
    return [_ticket_event(query, at=at, kind=TICKET_OPENED.name, key=pk, title=TICKET_OPENED.label, ticket_pk=pk,
                          subject=subject, channel=channel, contact=name or email)
            for pk, at, subject, channel, name, email in rows]


def timeline_ticket_status(query: TimelineQuery) -> list[TimelineEvent]:
    """Every change to resolved, and every change to an unfinished status right after a resolved or
    closed one (the status just before, by ``changed_at`` then insertion, as support.records.services
    orders the history): a reopening, whether a customer's message or an agent did it."""
    previous = (
        TicketStatusChange.objects.filter(tenant=query.tenant, ticket=OuterRef("ticket"))
        .filter(Q(changed_at__lt=OuterRef("changed_at")) | Q(changed_at=OuterRef("changed_at"), pk__lt=OuterRef("pk")))
        .order_by("-changed_at", "-pk").values("status")[:1]
    )
    changes = (TicketStatusChange.objects.filter(tenant=query.tenant, **_subject_filter(query, "ticket__"))
               .annotate(previous=Subquery(previous)))
    kinds = {TICKET_RESOLVED.name: Q(status=TicketStatus.RESOLVED),
             # The status test first: the previous status is a subquery, only needed for unfinished rows.
             TICKET_REOPENED.name: Q(status__in=UNFINISHED) & Q(previous__in=FINISHED)}
    rows = keyset(changes, query=query, kinds=kinds, at="changed_at").values_list(
        "pk", "changed_at", "timeline_kind", "ticket_id", "ticket__subject", "ticket__channel", "ticket__contact__name",
        "ticket__contact__email", "agent__name", "agent__email")
    titles = {TICKET_RESOLVED.name: TICKET_RESOLVED.label, TICKET_REOPENED.name: TICKET_REOPENED.label}
    return [_ticket_event(query, at=at, kind=kind, key=pk, title=titles[kind], ticket_pk=ticket_pk, subject=subject,
                          channel=channel, contact=name or email, by=agent_name or agent_email or "")
            for pk, at, kind, ticket_pk, subject, channel, name, email, agent_name, agent_email in rows]


TIMELINE_SOURCES = (
    TimelineSource(name="support.tickets_opened", kinds=(TICKET_OPENED,),
                   account_events=timeline_tickets_opened, contact_events=timeline_tickets_opened),
    TimelineSource(name="support.ticket_status", kinds=(TICKET_RESOLVED, TICKET_REOPENED),
                   account_events=timeline_ticket_status, contact_events=timeline_ticket_status),
)


def _by_account(queryset: QuerySet, account_field: str, account_ids: Sequence[int] | None) -> QuerySet:
    return queryset if account_ids is None else queryset.filter(**{f"{account_field}__in": list(account_ids)})


def tickets_created_by_account(*, tenant: Tenant, account_ids: Sequence[int] | None, since: dt.datetime,
                               until: dt.datetime) -> dict[int, int]:
    """Tickets of each account created in ``[since, until)`` (accounts without any are absent), one query:
    the health score's tickets-per-seat input."""
    rows = _by_account(Ticket.objects.filter(tenant=tenant, account__isnull=False, created_at__gte=since,
                                             created_at__lt=until), "account_id", account_ids)
    return dict(rows.values("account_id").annotate(n=Count("id")).values_list("account_id", "n"))


HIGH_PRIORITIES = (Priority.HIGH, Priority.URGENT)


def open_high_priority_by_account(*, tenant: Tenant, account_ids: Sequence[int] | None,
                                  at: dt.datetime) -> dict[int, int]:
    """High or urgent tickets of each account open at instant ``at`` (the open spans' rule: open at T when
    ``opened_at < T <= closed_at``), one query. The priority is the ticket's current one (priority changes
    keep no history)."""
    spans = TicketOpenSpan.objects.filter(tenant=tenant, opened_at__lt=at, ticket__priority__in=HIGH_PRIORITIES,
                                          ticket__account__isnull=False).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=at))
    rows = _by_account(spans, "ticket__account_id", account_ids)
    return dict(rows.values("ticket__account_id").annotate(n=Count("ticket_id", distinct=True))
                .values_list("ticket__account_id", "n"))
