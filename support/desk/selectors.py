"""Reads of the agent desk: inbox, ticket page, macros, the callback queue and contact merges (bounded
queries)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Aggregate, Avg, Case, Count, F, FloatField, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Least

from accounts.models import Contact, CustomerAccount, Tenant
from accounts.selectors import contacts_matching
from support.models import (
    Agent,
    Callback,
    ContactIdentity,
    ContactMerge,
    Interaction,
    Macro,
    Priority,
    Team,
    Ticket,
    TicketStatus,
)
from support.records.models import EpochSeconds
from support.sla.selectors import SlaState, annotate_sla_state

CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


SLA_STATES = SlaState.LABELS


INBOX_SORTS = {
    "updated": "updated_at",
    "created": "created_at",
    "priority": "priority_rank",
    "due": "next_due",
}


OTHER_OPEN_TICKETS_LIMIT = 10


def _priority_rank() -> Case:
    order = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]
    return Case(*(When(priority=p, then=Value(i)) for i, p in enumerate(order)), default=Value(9),
                output_field=IntegerField())


def with_sla_state(queryset: QuerySet, *, now: dt.datetime) -> QuerySet:
    """``sla_state`` (breached / due_soon / ok / none) as the SLA engine defines it (support.sla, one
    definition for the inbox, the ticket badge and the beat task), and ``next_due``: the earliest due
    time of a clock still running, for sorting."""
    frt_running = Q(first_response_at__isnull=True, first_response_due_at__isnull=False)
    res_running = Q(resolved_at__isnull=True, resolution_due_at__isnull=False) & ~Q(status__in=CLOSED_STATUSES)
    next_running = Q(next_response_due_at__isnull=False) & ~Q(status__in=CLOSED_STATUSES)
    return annotate_sla_state(queryset, now).annotate(
        # PostgreSQL's LEAST ignores nulls: the earliest clock still running.
        next_due=Least(
            Case(When(frt_running, then=F("first_response_due_at"))),
            Case(When(res_running, then=F("resolution_due_at"))),
            Case(When(next_running, then=F("next_response_due_at"))),
        ),
    )


def inbox_tickets(
    *,
    tenant: Tenant,
    now: dt.datetime,
    me: Agent | None = None,
    status: str = "",
    channel: str = "",
    team: Team | None = None,
    assignee: str = "",
    sla: str = "",
    priority: str = "",
    q: str = "",
    sort: str = "-updated",
) -> QuerySet:
    """Tickets for the inbox. ``status``: "" = unresolved, "any", or one status; ``assignee``: "me",
    "unassigned", an agent pk or "". One query per page, whatever the filters."""
    tickets = Ticket.objects.filter(tenant=tenant).select_related("contact", "account", "assignee", "team")
    if status == "":
        tickets = tickets.exclude(status__in=CLOSED_STATUSES)
    elif status != "any":
        tickets = tickets.filter(status=status)
    if channel:
        tickets = tickets.filter(channel=channel)
    if team is not None:
        tickets = tickets.filter(team=team)
    if assignee == "me":
        tickets = tickets.filter(assignee=me) if me is not None else tickets.none()
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=assignee)
    if priority:
        tickets = tickets.filter(priority=priority)
    if q:
        tickets = tickets.filter(
            Q(subject__icontains=q) | Q(contact__name__icontains=q) | Q(contact__email__icontains=q)
            | Q(external_id__icontains=q)
        )
    tickets = with_sla_state(tickets, now=now).annotate(priority_rank=_priority_rank())
    if sla:
        tickets = tickets.filter(sla_state=sla)
    key = sort.lstrip("-")
    column = INBOX_SORTS.get(key, "updated_at")
    order = F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    return tickets.order_by(order, "-id")


def agent_choices(*, tenant: Tenant) -> list[Agent]:
    return list(Agent.objects.filter(tenant=tenant, is_active=True).order_by("name", "email"))


def team_choices(*, tenant: Tenant) -> list[Team]:
    return list(Team.objects.filter(tenant=tenant).order_by("name"))


def tickets_by_ids(*, tenant: Tenant, ids: list[int] | list[str]) -> list[Ticket]:
    """The tenant's tickets among ``ids`` (others' ids are silently left out), for a bulk action."""
    return list(Ticket.objects.filter(tenant=tenant, pk__in=ids))


def agent_of_user(*, tenant: Tenant, user) -> Agent | None:
    """The signed-in user's agent record if one exists (reads never create it)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Agent.objects.filter(tenant=tenant, user=user).first()


def ticket_timeline(*, tenant: Tenant, ticket: Ticket) -> list[Interaction]:
    """Every interaction of the ticket on every channel, in the order they started (one query)."""
    return list(
        Interaction.objects.filter(tenant=tenant, ticket=ticket).select_related("agent", "contact")
        .order_by("started_at", "id")
    )


def other_open_tickets(*, tenant: Tenant, ticket: Ticket) -> list[Ticket]:
    return list(
        Ticket.objects.filter(tenant=tenant, contact_id=ticket.contact_id).exclude(pk=ticket.pk)
        .exclude(status__in=CLOSED_STATUSES).order_by("-updated_at")[:OTHER_OPEN_TICKETS_LIMIT]
    )


def account_health_badge(account: CustomerAccount | None) -> dict | None:
    """The account's health badge for the ticket page: ``{"score": ..., "band": ...}``.

    Hook for the health issue: scores are not computed yet, so this answers None and the page shows
    the lifecycle stage with a "health: not computed yet" link to the account. Replace the body with a
    read of the latest score (one query) when health scores exist; the template already handles both.
    """
    return None


def active_macros(*, tenant: Tenant) -> list[Macro]:
    return list(Macro.objects.filter(tenant=tenant, is_active=True).only("pk", "name").order_by("name"))


def ticket_pending_callbacks(*, tenant: Tenant, ticket: Ticket) -> list[Callback]:
    return list(Callback.objects.filter(tenant=tenant, ticket=ticket, status=Callback.Status.PENDING)
                .order_by("due_at"))


def macro_list(*, tenant: Tenant) -> QuerySet:
    return Macro.objects.filter(tenant=tenant).select_related("created_by").order_by("name")


CALLBACK_WAIT_WINDOW = dt.timedelta(days=30)


CALLBACK_WAIT_DEFINITION = (
    "Callback wait = the time from a callback's request to its completion. Mean and median (the middle "
    "value; between two middle values, their average) over callbacks completed in the last 30 days."
)


QUEUE_LIMIT = 200


class Median(Aggregate):
    """``percentile_cont(0.5) WITHIN GROUP (ORDER BY expr)``: the interpolated median, as METRICS.md does."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _wait_seconds() -> EpochSeconds:
    return EpochSeconds(F("completed_at") - F("requested_at"))


def callback_queue(*, tenant: Tenant, now: dt.datetime) -> dict[str, list[Callback]]:
    """Pending callbacks by due time: those due now, and those scheduled later."""
    pending = (
        Callback.objects.filter(tenant=tenant, status=Callback.Status.PENDING)
        .select_related("contact__account", "ticket").order_by("due_at", "id")
    )
    return {
        "due": list(pending.filter(due_at__lte=now)[:QUEUE_LIMIT]),
        "later": list(pending.filter(due_at__gt=now)[:QUEUE_LIMIT]),
    }


def recently_completed_callbacks(*, tenant: Tenant, now: dt.datetime, limit: int = 50) -> list[Callback]:
    return list(
        Callback.objects.filter(tenant=tenant, status=Callback.Status.DONE,
                                completed_at__gte=now - CALLBACK_WAIT_WINDOW)
        .select_related("contact", "completed_by", "ticket").annotate(wait_seconds=_wait_seconds())
        .order_by("-completed_at")[:limit]
    )


@dataclass
class WaitFigures:
    count: int
    mean_seconds: float | None
    median_seconds: float | None


def callback_wait_figures(*, tenant: Tenant, now: dt.datetime) -> WaitFigures:
    row = (
        Callback.objects.filter(tenant=tenant, status=Callback.Status.DONE, completed_at__isnull=False,
                                completed_at__gte=now - CALLBACK_WAIT_WINDOW)
        .aggregate(count=Count("id"), mean=Avg(_wait_seconds()), median=Median(_wait_seconds()))
    )
    return WaitFigures(row["count"], row["mean"], row["median"])


# ------------------------------------------------------------------------------------ contact merge


CANDIDATES_LIMIT = 20


MIN_QUERY_LENGTH = 2


def merge_candidates(*, tenant: Tenant, contact: Contact, query: str) -> list[Contact]:
    """This tenant's contacts other than ``contact`` whose name, email, phone, external id or any
    identity contains ``query``. Phones also match on digits alone, however they were typed."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    identity_matches = [ContactIdentity.objects.filter(tenant=tenant, value__icontains=query).values("contact_id")]
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and digits != query:
        identity_matches.append(ContactIdentity.objects.filter(tenant=tenant, kind="phone", value__contains=digits)
                                .values("contact_id"))
    return contacts_matching(tenant=tenant, query=query, or_ids=identity_matches, exclude=contact,
                             limit=CANDIDATES_LIMIT)


@dataclass
class MergeSide:
    contact: Contact
    identities: list[ContactIdentity] = field(default_factory=list)
    open_tickets: int = 0
    tickets: int = 0


def merge_sides(*, tenant: Tenant, contacts: list[Contact]) -> list[MergeSide]:
    """For each contact (in the given order): its identities and its ticket counts (two queries)."""
    sides = {c.pk: MergeSide(c) for c in contacts}
    for identity in ContactIdentity.objects.filter(tenant=tenant, contact__in=list(sides)).order_by("kind", "value"):
        sides[identity.contact_id].identities.append(identity)
    counts = (
        Ticket.objects.filter(tenant=tenant, contact__in=list(sides)).values("contact_id")
        .annotate(total=Count("pk"), open=Count("pk", filter=~Q(status__in=CLOSED_STATUSES)))
    )
    for row in counts:
        sides[row["contact_id"]].tickets = row["total"]
        sides[row["contact_id"]].open_tickets = row["open"]
    return [sides[c.pk] for c in contacts]


def merge_history(*, tenant: Tenant, contact: Contact) -> list[ContactMerge]:
    """The merges that folded another contact into ``contact``, newest first."""
    return list(
        ContactMerge.objects.filter(tenant=tenant, kept_contact=contact).select_related("merged_by")
        .order_by("-merged_at", "-pk")
    )


# --- the role-aware home (accounts.workspace; registered by support.desk.home) -------------------------


HOME_QUEUE_LIMIT = 20


def open_tickets_by_account(*, tenant: Tenant, account_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Per account, its tickets that are neither resolved nor closed (one grouped query)."""
    return dict(
        Ticket.objects.filter(tenant=tenant, account_id__in=account_ids).exclude(status__in=CLOSED_STATUSES)
        .order_by().values("account_id").annotate(n=Count("pk")).values_list("account_id", "n")
    )


def last_ticket_activity_by_account(*, tenant: Tenant, account_ids: list[int],
                                    now: dt.datetime) -> dict[int, dt.datetime]:
    """Per account, the latest start of an interaction on any of its tickets (one grouped query)."""
    return dict(
        Interaction.objects.filter(tenant=tenant, ticket__account_id__in=account_ids)
        .order_by().values("ticket__account_id").annotate(at=Max("started_at"))
        .values_list("ticket__account_id", "at")
    )


def _open(tenant: Tenant) -> QuerySet:
    return Ticket.objects.filter(tenant=tenant).exclude(status__in=CLOSED_STATUSES)


@dataclass(frozen=True)
class AgentQueue:
    total: int
    tickets: list[Ticket]  # the first HOME_QUEUE_LIMIT, with contact, account and ``sla_state``


def agent_queue(*, tenant: Tenant, agent: Agent, now: dt.datetime, limit: int = HOME_QUEUE_LIMIT) -> AgentQueue:
    """The agent's open assigned tickets, latest activity (``updated_at``) first, as the inbox's default sort
    (two queries)."""
    mine = _open(tenant).filter(assignee=agent)
    tickets = list(with_sla_state(mine.select_related("contact", "account"), now=now)
                   .order_by("-updated_at", "-id")[:limit])
    return AgentQueue(total=mine.count(), tickets=tickets)


def agent_sla_warnings(*, tenant: Tenant, agent: Agent, now: dt.datetime,
                       limit: int = HOME_QUEUE_LIMIT) -> list[Ticket]:
    """The agent's open tickets whose SLA state is breached or due soon, the earliest running due time first
    (one query; the states are the SLA engine's, support.sla.selectors)."""
    tickets = with_sla_state(_open(tenant).filter(assignee=agent).select_related("contact", "account"), now=now)
    return list(tickets.filter(sla_state__in=(SlaState.BREACHED, SlaState.DUE_SOON))
                .order_by(F("next_due").asc(nulls_last=True), "-id")[:limit])


def open_tickets_by_sla_state(*, tenant: Tenant, now: dt.datetime) -> dict[str, int]:
    """Open tickets per SLA state, every state present (zero when none): one grouped query."""
    counts = dict(annotate_sla_state(_open(tenant), now).order_by().values("sla_state")
                  .annotate(n=Count("pk")).values_list("sla_state", "n"))
    return {state: counts.get(state, 0) for state in (SlaState.BREACHED, SlaState.DUE_SOON, SlaState.OK,
                                                      SlaState.NONE)}
