"""Writes of the SLA: due times stamped on new tickets, the warning/breach check, and the policies,
calendars and holidays of the SLA pages. The rules are in ``support.sla.selectors``' docstring."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Exists,
    OuterRef,
)
from django.utils import timezone

from accounts.models import Tenant
from health.scores.dirty import mark_dirty
from support.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy, Ticket
from support.sla import calendar as sla_calendar
from support.sla.selectors import _CLOCK_COLUMNS, _clock_code, annotate_sla_state, due_after, match_policy

logger = logging.getLogger(__name__)


EVENT_LOOKBACK = dt.timedelta(days=1)


def apply_sla(*, ticket: Ticket, force: bool = False) -> SlaPolicy | None:
    """Choose the ticket's policy and stamp its due times (from ``created_at``). A ticket that already
    has a policy keeps it unless ``force`` (a policy edited later does not move existing tickets)."""
    if ticket.sla_policy_id and not force:
        return ticket.sla_policy
    tier = ticket.account.tier if ticket.account_id else ""
    policy = match_policy(tenant=ticket.tenant, tier=tier, priority=ticket.priority)
    if policy is None:
        return None
    values = {
        "sla_policy": policy,
        "first_response_due_at": due_after(policy, ticket.created_at, policy.first_response_seconds),
        "resolution_due_at": due_after(policy, ticket.created_at, policy.resolution_seconds),
        "updated_at": timezone.now(),  # the inbox polls by updated_at
    }
    # An UPDATE of these columns only: the desk may be writing other columns of the row meanwhile.
    Ticket.objects.filter(tenant_id=ticket.tenant_id, pk=ticket.pk).update(**values)
    for name, value in values.items():
        setattr(ticket, name, value)
    return policy


def on_ticket_created(*, ticket: Ticket) -> None:
    """Hook for the ticket-creation service: after its transaction commits, stamp the SLA and qualify
    the ticket against the knowledge base (support.tasks.process_new_ticket)."""
    from support.records.tasks import process_new_ticket

    tenant_id, ticket_id = ticket.tenant_id, ticket.pk
    transaction.on_commit(lambda: process_new_ticket.delay(tenant_id, ticket_id))


@dataclass
class CheckResult:
    warnings: int = 0
    breaches: int = 0


def check_sla(*, tenant: Tenant, now: dt.datetime | None = None) -> CheckResult:
    """Record (and log) a warning for each running clock inside its warning window and a breach for each
    clock past its due time, once per (ticket, clock, due time). Set-based: one query per clock and kind."""
    now = now or timezone.now()
    result = CheckResult()
    base = annotate_sla_state(Ticket.objects.filter(tenant=tenant), now)
    for clock, (due, _stop, _target, _running) in _CLOCK_COLUMNS.items():
        code = _clock_code(clock, now)
        for kind, wanted in ((SlaEvent.Kind.BREACH, 2), (SlaEvent.Kind.WARNING, 1)):
            recorded = SlaEvent.objects.filter(tenant=tenant, ticket=OuterRef("pk"), clock=clock, kind=kind,
                                               due_at=OuterRef(due))
            rows = list(
                base.filter(**{f"{due}__gte": now - EVENT_LOOKBACK})
                .alias(_code=code).filter(_code=wanted).filter(~Exists(recorded))
                .values_list("pk", due, "account_id")
            )
            if not rows:
                continue
            with transaction.atomic():
                SlaEvent.objects.bulk_create(
                    [SlaEvent(tenant=tenant, ticket_id=pk, clock=clock, kind=kind, due_at=due_at)
                     for pk, due_at, _ in rows],
                    ignore_conflicts=True,  # a concurrent run recorded it: the unique constraint keeps one
                )
                if kind == SlaEvent.Kind.BREACH:  # a health input: those accounts' scores are recomputed soon
                    mark_dirty(tenant=tenant, account_ids=[account_id for _, _, account_id in rows])
            for pk, due_at, _ in rows:
                logger.warning("SLA %s: tenant %s ticket %s %s due %s", kind, tenant.slug, pk, clock,
                               due_at.isoformat())
            if kind == SlaEvent.Kind.BREACH:
                result.breaches += len(rows)
            else:
                result.warnings += len(rows)
    return result


PREMIUM_DEFAULT_NAME = "Premium: first response within 1 hour"


def create_default_sla(*, tenant: Tenant) -> tuple[SlaPolicy, bool]:
    """The premium default: account tier ``premium``, any priority, first response within 1 hour of
    calendar time. Idempotent by name."""
    return SlaPolicy.objects.get_or_create(
        tenant=tenant, name=PREMIUM_DEFAULT_NAME,
        defaults={"tier": "premium", "priority": "", "first_response_seconds": 3600, "is_active": True},
    )


def save_policy(*, tenant: Tenant, policy: SlaPolicy) -> SlaPolicy:
    with transaction.atomic():
        policy.tenant = tenant
        policy.tier = policy.tier.strip().lower()
        policy.save()
    return policy


def save_calendar(*, tenant: Tenant, calendar: BusinessCalendar) -> BusinessCalendar:
    sla_calendar.parse_weekly_hours(calendar.weekly_hours)  # the form checked it; the service insists
    with transaction.atomic():
        calendar.tenant = tenant
        calendar.save()
    return calendar


def add_holiday(*, tenant: Tenant, calendar: BusinessCalendar, date: dt.date, name: str = "") -> Holiday:
    holiday, _ = Holiday.objects.update_or_create(tenant=tenant, calendar=calendar, date=date,
                                                  defaults={"name": name})
    return holiday


def delete_policy(*, tenant: Tenant, policy: SlaPolicy) -> None:
    """Tickets keep the due times it stamped (their ``sla_policy`` is set null)."""
    SlaPolicy.objects.filter(tenant=tenant, pk=policy.pk).delete()


def delete_calendar(*, tenant: Tenant, calendar: BusinessCalendar) -> None:
    """Raises ``RestrictedError`` while an SLA policy uses the calendar; its holidays go with it."""
    BusinessCalendar.objects.filter(tenant=tenant, pk=calendar.pk).delete()


def delete_holiday(*, tenant: Tenant, holiday: Holiday) -> None:
    Holiday.objects.filter(tenant=tenant, pk=holiday.pk).delete()
