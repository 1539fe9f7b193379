"""SLA engine: policy matching, due times, state (Python and SQL agree), first-response achievement,
the breach/warning task, and the premium default command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from support.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy, Ticket, TicketStatus
from support.records.tasks import process_new_ticket
from support.sla.selectors import (
    annotate_first_response_met,
    annotate_sla_state,
    first_response_met_sql,
    match_policy,
    sla_first_response_met,
    sla_state,
)
from support.sla.services import apply_sla, check_sla
from support.sla.tasks import check_sla as check_sla_task

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NINE_TO_FIVE = {str(d): [["09:00", "17:00"]] for d in range(5)}
FRIDAY_1630_UTC = dt.datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


def make_ticket(world, *, account=None, priority="normal", created_at=FRIDAY_1630_UTC, n=[0], **extra) -> Ticket:  # noqa: B006
    n[0] += 1
    account = account or world.accounts[0]
    contact = next(c for c in world.contacts if c.account_id == account.pk)
    return Ticket.objects.create(tenant=world.tenant, external_id=f"t-{n[0]}", contact=contact, account=account,
                                 channel="email", subject="Help", priority=priority, created_at=created_at, **extra)


def policy(world, name, **kwargs) -> SlaPolicy:
    return SlaPolicy.objects.create(tenant=world.tenant, name=name, **kwargs)


def test_most_specific_active_policy_wins(world_a):
    a = world_a
    with a.scope():
        anything = policy(a, "any", first_response_seconds=86400)
        by_priority = policy(a, "urgent", priority="urgent", first_response_seconds=7200)
        by_tier = policy(a, "premium", tier="premium", first_response_seconds=3600)
        both = policy(a, "premium urgent", tier="premium", priority="urgent", first_response_seconds=900)
        policy(a, "inactive", tier="premium", priority="urgent", first_response_seconds=60, is_active=False)
        t = a.tenant
        assert match_policy(tenant=t, tier="premium", priority="urgent") == both
        assert match_policy(tenant=t, tier="premium", priority="low") == by_tier
        assert match_policy(tenant=t, tier="standard", priority="urgent") == by_priority
        assert match_policy(tenant=t, tier="", priority="low") == anything
        both.is_active = False
        both.save()
        assert match_policy(tenant=t, tier="premium", priority="urgent") == by_tier


def test_no_policy_of_the_other_tenant_matches(worlds):
    a, b = worlds
    with b.scope():
        policy(b, "b any", first_response_seconds=60)
    with a.scope():
        assert match_policy(tenant=a.tenant, tier="premium", priority="normal") is None
        ticket = make_ticket(a)
        assert apply_sla(ticket=ticket) is None
        ticket.refresh_from_db()
        assert ticket.sla_policy_id is None and ticket.first_response_due_at is None


def test_apply_sla_in_business_hours_with_holiday(world_a):
    a = world_a
    premium = a.accounts[1]
    assert premium.tier == "premium"
    with a.scope():
        cal = BusinessCalendar.objects.create(tenant=a.tenant, name="London", timezone="Europe/London",
                                              weekly_hours=NINE_TO_FIVE)
        Holiday.objects.create(tenant=a.tenant, calendar=cal, date=dt.date(2026, 11, 23), name="Bank holiday")
        p = policy(a, "premium 1h", tier="premium", first_response_seconds=3600, resolution_seconds=8 * 3600,
                   calendar=cal)
        ticket = make_ticket(a, account=premium)
        assert apply_sla(ticket=ticket) == p
        ticket.refresh_from_db()
        assert ticket.sla_policy == p
        assert ticket.first_response_due_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
        # 30 minutes on Friday, none on the holiday Monday, 7.5 hours on Tuesday.
        assert ticket.resolution_due_at == dt.datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
        # Stamped once: a later policy change does not move it.
        policy(a, "premium normal", tier="premium", priority="normal", first_response_seconds=60)
        apply_sla(ticket=ticket)
        ticket.refresh_from_db()
        assert ticket.sla_policy == p


def test_calendar_time_policy_and_the_new_ticket_task(world_a):
    a = world_a
    with a.scope():
        p = policy(a, "standard", first_response_seconds=3600)
        ticket = make_ticket(a)
    process_new_ticket(a.tenant.pk, ticket.pk)
    with a.scope():
        ticket.refresh_from_db()
    assert ticket.sla_policy_id == p.pk
    assert ticket.first_response_due_at == FRIDAY_1630_UTC + dt.timedelta(hours=1)
    assert ticket.resolution_due_at is None


@pytest.mark.parametrize(("minutes_after", "responded_after", "status", "expected"), [
    (10, None, "open", "ok"),
    (46, None, "open", "due_soon"),       # 15 of 60 minutes left: within max(15 min, 20%)
    (61, None, "open", "breached"),
    (61, 30, "open", "ok"),               # responded in time: the clock stopped
    (90, 70, "resolved", "breached"),     # responded late: stays breached
    (61, None, "closed", "breached"),     # first-response clock runs on a closed ticket without a response
])
def test_sla_state_python_and_sql_agree(world_a, minutes_after, responded_after, status, expected):
    a = world_a
    created = FRIDAY_1630_UTC
    with a.scope():
        p = policy(a, "1h", first_response_seconds=3600)
        ticket = make_ticket(a, created_at=created, status=status, sla_policy=p,
                             first_response_due_at=created + dt.timedelta(hours=1),
                             first_response_at=created + dt.timedelta(minutes=responded_after)
                             if responded_after is not None else None)
        now = created + dt.timedelta(minutes=minutes_after)
        assert sla_state(ticket, now) == expected
        row = annotate_sla_state(Ticket.objects.filter(pk=ticket.pk), now).get()
        assert row.sla_state == expected


def test_warning_window_is_20_percent_of_long_targets(world_a):
    a = world_a
    with a.scope():
        p = policy(a, "10h", resolution_seconds=10 * 3600)
        ticket = make_ticket(a, sla_policy=p, resolution_due_at=FRIDAY_1630_UTC + dt.timedelta(hours=10))
        just_inside = FRIDAY_1630_UTC + dt.timedelta(hours=8, minutes=1)  # 1h59 left < 2h (20%)
        just_outside = FRIDAY_1630_UTC + dt.timedelta(hours=7, minutes=59)
        assert sla_state(ticket, just_inside) == "due_soon"
        assert sla_state(ticket, just_outside) == "ok"
        qs = annotate_sla_state(Ticket.objects.all(), just_inside)
        assert list(qs.filter(sla_state="due_soon")) == [ticket]
        ticket_none = make_ticket(a)
        assert sla_state(ticket_none, just_inside) == "none"
        assert annotate_sla_state(Ticket.objects.filter(pk=ticket_none.pk), just_inside).get().sla_state == "none"


def test_first_response_met_semantics(world_a):
    a = world_a
    due = FRIDAY_1630_UTC + dt.timedelta(hours=1)
    later = due + dt.timedelta(hours=5)
    with a.scope():
        met = make_ticket(a, first_response_due_at=due, first_response_at=due)
        late = make_ticket(a, first_response_due_at=due, first_response_at=due + dt.timedelta(seconds=1))
        silent = make_ticket(a, first_response_due_at=due)
        running = make_ticket(a, first_response_due_at=later + dt.timedelta(hours=1))
        no_target = make_ticket(a)
        expected = {met.pk: True, late.pk: False, silent.pk: False, running.pk: None, no_target.pk: None}
        assert {t.pk: sla_first_response_met(t, later) for t in (met, late, silent, running, no_target)} \
            == expected
        rows = annotate_first_response_met(Ticket.objects.all(), later).values_list("pk", "sla_first_response_met")
        assert dict(rows) == expected
        with connection.cursor() as cursor:  # the reports' SQL twin
            cursor.execute(f"SELECT t.id, {first_response_met_sql('t', '%s')} FROM support_ticket t"  # noqa: S608
                           " WHERE t.tenant_id = %s", [later, a.tenant.pk])
            assert dict(cursor.fetchall()) == expected


def test_check_sla_records_warnings_and_breaches_once(worlds):
    a, b = worlds
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with a.scope():
        p = policy(a, "1h", first_response_seconds=3600, resolution_seconds=86400)
        breached = make_ticket(a, sla_policy=p, first_response_due_at=now - dt.timedelta(minutes=1), status="open")
        soon = make_ticket(a, sla_policy=p, first_response_due_at=now + dt.timedelta(minutes=10))
        fine = make_ticket(a, sla_policy=p, first_response_due_at=now + dt.timedelta(minutes=50))
        answered = make_ticket(a, sla_policy=p, first_response_due_at=now - dt.timedelta(minutes=1),
                               first_response_at=now - dt.timedelta(minutes=2))
        resolved_late = make_ticket(a, sla_policy=p, resolution_due_at=now - dt.timedelta(hours=2),
                                    resolved_at=now - dt.timedelta(hours=1), status=TicketStatus.RESOLVED)
        ancient = make_ticket(a, sla_policy=p, first_response_due_at=now - dt.timedelta(days=30))
        result = check_sla(tenant=a.tenant, now=now)
        assert (result.warnings, result.breaches) == (1, 2)
        events = set(SlaEvent.objects.values_list("ticket_id", "clock", "kind"))
        assert events == {(breached.pk, "first_response", "breach"), (soon.pk, "first_response", "warning"),
                          (resolved_late.pk, "resolution", "breach")}
        assert not {fine.pk, answered.pk, ancient.pk} & {e[0] for e in events}
        again = check_sla(tenant=a.tenant, now=now + dt.timedelta(minutes=5))
        assert (again.warnings, again.breaches) == (0, 0)
        # The warned ticket breaches later: one more event, the warning stays.
        assert check_sla(tenant=a.tenant, now=now + dt.timedelta(minutes=11)).breaches == 1
    with b.scope():
        assert not SlaEvent.objects.exists()
    assert check_sla_task(b.tenant.pk) == {"warnings": 0, "breaches": 0}


def test_create_default_sla_command(world_a):
    out = StringIO()
    call_command("create_default_sla", "--tenant", world_a.tenant.slug, stdout=out)
    call_command("create_default_sla", "--tenant", world_a.tenant.slug, stdout=out)
    assert "Created" in out.getvalue() and "Already present" in out.getvalue()
    with world_a.scope():
        (p,) = SlaPolicy.objects.all()
        assert (p.name, p.tier, p.priority, p.first_response_seconds, p.calendar) == (
            "Premium: first response within 1 hour", "premium", "", 3600, None)
        premium = make_ticket(world_a, account=world_a.accounts[1])
        standard = make_ticket(world_a, account=world_a.accounts[0])
        assert apply_sla(ticket=premium) == p
        assert apply_sla(ticket=standard) is None
    with pytest.raises(CommandError):
        call_command("create_default_sla", "--tenant", "nope")
