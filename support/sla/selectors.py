"""SLA engine: policy matching, due times, SLA state of tickets, first-response achievement, breach and
warning events, and the writes behind the SLA pages.

Decisions (the README's "Support desk" section repeats them):

- **Matching**: among *active* policies whose ``tier`` is the ticket account's tier or blank (any) and
  whose ``priority`` is the ticket's priority or blank, the most specific wins: tier and priority >
  tier only > priority only > neither; equally specific ones: the oldest (lowest id).
- **Due times** are stamped once, when the ticket is created (``apply_sla``, run by the
  ``support.tasks.process_new_ticket`` task), from ``created_at``: first response and resolution. A
  policy with a calendar counts business seconds (support.sla.calendar walks the calendar in its time
  zone over weekends and holidays); without one, calendar seconds. ``next_response_due_at`` is not
  stamped at creation (the first-response clock covers the first reply): support.records.services.tickets
  maintains it from the interactions (a customer message after the first response starts it, an
  agent's public reply stops it), with :func:`due_after`.
- **Clocks**: first response runs until ``first_response_at`` (the METRICS.md FRT rule), resolution
  until ``resolved_at`` (or until the ticket is closed without being resolved), next response while
  the ticket is open. A clock that stopped after its due time stays *breached*.
- **State** of a ticket = the worst of its clocks: ``breached`` (past due), ``due_soon`` (the due time
  is within the warning window: max(15 minutes, 20% of the target), in wall-clock time before the due
  time), ``ok``; ``none`` when it has no due time at all.
- **Events**: the beat task (every 5 minutes, one task per tenant) records an SlaEvent ``warning`` when
  a running clock enters its warning window and a ``breach`` when it passes its due time (or stopped
  after it), once per (ticket, clock, due time), and logs them. It looks back one day, so that tickets
  imported with historical timestamps do not flood it, while a stopped worker loses nothing short of that.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Tenant
from support.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy, Ticket, TicketStatus
from support.sla import calendar as sla_calendar

logger = logging.getLogger(__name__)


WARN_MIN_SECONDS = 15 * 60


WARN_FRACTION = 0.2


CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class SlaState:
    NONE = "none"
    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"

    LABELS = {NONE: "No SLA", OK: "On track", DUE_SOON: "Due soon", BREACHED: "Breached"}
    BY_CODE = (OK, DUE_SOON, BREACHED)


def warn_seconds(target_seconds: int | None) -> float:
    """The warning window before a due time: 15 minutes, or 20% of the target when that is longer."""
    return max(WARN_MIN_SECONDS, WARN_FRACTION * (target_seconds or 0))


def specificity(policy: SlaPolicy) -> int:
    return (2 if policy.tier else 0) + (1 if policy.priority else 0)


def match_policy(*, tenant: Tenant, tier: str, priority: str) -> SlaPolicy | None:
    """The most specific active policy for an account tier and a ticket priority (module docstring)."""
    candidates = (
        SlaPolicy.objects.filter(tenant=tenant, is_active=True)
        .filter(Q(tier="") | Q(tier__iexact=tier or ""), Q(priority="") | Q(priority=priority or ""))
        .select_related("calendar").order_by("pk")
    )
    return max(candidates, key=specificity, default=None)  # max keeps the first (oldest) of equals


def due_after(policy: SlaPolicy, start: dt.datetime, seconds: int | None) -> dt.datetime | None:
    """``seconds`` of the policy's time after ``start``: business seconds on its calendar, else calendar."""
    if seconds is None:
        return None
    calendar = policy.calendar
    if calendar is None:
        return sla_calendar.add_calendar_seconds(start, seconds)
    holidays = getattr(calendar, "_holiday_dates", None)
    if holidays is None:
        holidays = calendar._holiday_dates = frozenset(
            Holiday.objects.filter(tenant_id=calendar.tenant_id, calendar=calendar).values_list("date", flat=True)
        )
    return sla_calendar.add_business_seconds(start, seconds, zone=calendar.timezone,
                                             weekly_hours=calendar.weekly_hours, holidays=holidays)


@dataclass(frozen=True)
class Clock:
    name: str
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None
    running: bool
    target_seconds: int | None


def clocks(ticket: Ticket) -> list[Clock]:
    policy = ticket.sla_policy if ticket.sla_policy_id else None
    target = (lambda name: getattr(policy, name)) if policy else (lambda name: None)
    is_open = ticket.status not in CLOSED_STATUSES
    return [
        Clock(SlaEvent.Clock.FIRST_RESPONSE, ticket.first_response_due_at, ticket.first_response_at,
              ticket.first_response_at is None, target("first_response_seconds")),
        Clock(SlaEvent.Clock.RESOLUTION, ticket.resolution_due_at, ticket.resolved_at,
              ticket.resolved_at is None and is_open, target("resolution_seconds")),
        Clock(SlaEvent.Clock.NEXT_RESPONSE, ticket.next_response_due_at, None, is_open,
              target("next_response_seconds")),
    ]


def clock_state(clock: Clock, now: dt.datetime) -> str | None:
    if clock.due_at is None:
        return None
    if clock.stopped_at is not None:
        return SlaState.BREACHED if clock.stopped_at > clock.due_at else SlaState.OK
    if not clock.running:
        return SlaState.OK
    if clock.due_at <= now:
        return SlaState.BREACHED
    if clock.due_at - dt.timedelta(seconds=warn_seconds(clock.target_seconds)) <= now:
        return SlaState.DUE_SOON
    return SlaState.OK


def sla_state(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """``none`` / ``ok`` / ``due_soon`` / ``breached`` for one ticket (module docstring). Reads
    ``ticket.sla_policy``: select_related it, or use :func:`annotate_sla_state` for lists."""
    now = now or timezone.now()
    states = [s for s in (clock_state(c, now) for c in clocks(ticket)) if s is not None]
    if not states:
        return SlaState.NONE
    return max(states, key=SlaState.BY_CODE.index)


def sla_first_response_met(ticket: Ticket, now: dt.datetime | None = None) -> bool | None:
    """METRICS.md "SLA first-response achievement", per ticket: True = met (first response at or
    before its due time), False = breached (responded late, or no response by the due time), None = no
    first-response target, or still running and not yet due."""
    due = ticket.first_response_due_at
    if due is None:
        return None
    if ticket.first_response_at is not None:
        return ticket.first_response_at <= due
    return False if (now or timezone.now()) >= due else None


_CLOCK_COLUMNS = {
    # clock: (due column, stop column or None, policy target column, "still running" condition)
    SlaEvent.Clock.FIRST_RESPONSE: ("first_response_due_at", "first_response_at", "first_response_seconds",
                                    Q(first_response_at__isnull=True)),
    SlaEvent.Clock.RESOLUTION: ("resolution_due_at", "resolved_at", "resolution_seconds",
                                Q(resolved_at__isnull=True) & ~Q(status__in=CLOSED_STATUSES)),
    SlaEvent.Clock.NEXT_RESPONSE: ("next_response_due_at", None, "next_response_seconds",
                                   ~Q(status__in=CLOSED_STATUSES)),
}


def _warn_at(due: str, target: str) -> ExpressionWrapper:
    window = Greatest(
        Value(dt.timedelta(seconds=WARN_MIN_SECONDS)),
        ExpressionWrapper(Coalesce(F(f"sla_policy__{target}"), 0) * Value(dt.timedelta(seconds=WARN_FRACTION)),
                          output_field=DurationField()),
    )
    return ExpressionWrapper(F(due) - window, output_field=DateTimeField())


def _clock_code(clock: str, now: dt.datetime) -> Case:
    """-1 no due time, 0 ok, 1 due soon, 2 breached: the SQL twin of :func:`clock_state`."""
    due, stop, _target, running = _CLOCK_COLUMNS[clock]
    whens = [When(**{f"{due}__isnull": True}, then=Value(-1))]
    if stop:
        whens.append(When(Q(**{f"{stop}__isnull": False, f"{stop}__gt": F(due)}), then=Value(2)))
    whens += [
        When(~running, then=Value(0)),
        When(**{f"{due}__lte": now}, then=Value(2)),
        When(**{f"_sla_warn_{clock}__lte": now}, then=Value(1)),
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def annotate_sla_state(queryset: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Tickets annotated with ``sla_state`` (the same values as :func:`sla_state`), in the same query:
    for lists and for filtering (``.filter(sla_state="breached")``)."""
    now = now or timezone.now()
    queryset = queryset.alias(**{f"_sla_warn_{c}": _warn_at(due, target) for c, (due, _, target, _r)
                                 in _CLOCK_COLUMNS.items()})
    worst = Greatest(*(_clock_code(c, now) for c in _CLOCK_COLUMNS))
    return queryset.alias(_sla_code=worst).annotate(sla_state=Case(
        When(_sla_code=2, then=Value(SlaState.BREACHED)),
        When(_sla_code=1, then=Value(SlaState.DUE_SOON)),
        When(_sla_code=0, then=Value(SlaState.OK)),
        default=Value(SlaState.NONE), output_field=CharField(),
    ))


def annotate_first_response_met(queryset: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Tickets annotated with ``sla_first_response_met`` (True / False / None as
    :func:`sla_first_response_met`); achievement = count(True) / (count(True) + count(False))."""
    now = now or timezone.now()
    return queryset.annotate(sla_first_response_met=Case(
        When(first_response_due_at__isnull=True, then=Value(None)),
        When(first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at"), then=Value(True)),
        When(first_response_at__isnull=False, then=Value(False)),
        When(first_response_due_at__lte=now, then=Value(False)),
        default=Value(None), output_field=BooleanField(null=True),
    ))


def first_response_met_sql(alias: str, now_placeholder: str) -> str:
    """The SQL twin of :func:`annotate_first_response_met` over ticket alias ``alias`` (for set-based
    reports): true = met, false = breached, null = neither yet or no due time. ``now_placeholder`` is the
    query's parameter placeholder for "now". tests/support/sla/test_sla.py keeps the two in agreement."""
    t = alias
    return (f"(CASE WHEN {t}.first_response_due_at IS NULL THEN NULL"
            f" WHEN {t}.first_response_at IS NOT NULL THEN {t}.first_response_at <= {t}.first_response_due_at"
            f" WHEN {t}.first_response_due_at <= {now_placeholder}::timestamptz THEN false ELSE NULL END)")


# --- the SLA pages --------------------------------------------------------------------------------


def policy_list(*, tenant: Tenant) -> list[SlaPolicy]:
    """Every policy with its calendar, active ones first (one query)."""
    return list(SlaPolicy.objects.filter(tenant=tenant).select_related("calendar").order_by("-is_active", "name"))


def calendar_list(*, tenant: Tenant) -> QuerySet:
    """Every business calendar with ``holiday_count`` (one query)."""
    return BusinessCalendar.objects.filter(tenant=tenant).annotate(holiday_count=Count("holidays")).order_by("name")


def calendar_holidays(*, tenant: Tenant, calendar: BusinessCalendar) -> QuerySet:
    return Holiday.objects.filter(tenant=tenant, calendar=calendar).order_by("date")


def sla_breaches_by_account(*, tenant: Tenant, account_ids: Sequence[int] | None, since: dt.datetime,
                            until: dt.datetime) -> dict[int, int]:
    """SLA breaches of each account's tickets whose due time fell in ``[since, until)``, one query. A breach
    happens at its due time (the beat task records it a few minutes later, or at once for an import), so the
    due time, not the recording time, decides which day it belongs to."""
    events = SlaEvent.objects.filter(tenant=tenant, kind=SlaEvent.Kind.BREACH, due_at__gte=since, due_at__lt=until,
                                     ticket__account__isnull=False)
    if account_ids is not None:
        events = events.filter(ticket__account_id__in=list(account_ids))
    return dict(events.values("ticket__account_id").annotate(n=Count("id")).values_list("ticket__account_id", "n"))
