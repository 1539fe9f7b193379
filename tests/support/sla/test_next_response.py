"""The SLA next-response clock kept by support.records.services.tickets: started by a customer's public message
after the first response, stopped by an agent's public reply, counted in the policy's time, and read by
the SLA state and the beat task (a late next response is breached)."""

from __future__ import annotations

import datetime as dt

import pytest

from support.models import BusinessCalendar, SlaEvent, SlaPolicy, Ticket
from support.records.data import StatusData
from support.records.services.tickets import change_status
from support.sla.selectors import annotate_sla_state, sla_state
from support.sla.services import apply_sla, check_sla
from tests.support.conftest import add, at, make_ticket

pytestmark = pytest.mark.django_db
NINE_TO_FIVE = {str(d): [["09:00", "17:00"]] for d in range(5)}


def ticket_with_policy(tenant, **policy):
    p = SlaPolicy.objects.create(tenant=tenant, name="p", first_response_seconds=3600, **policy)
    ticket = make_ticket(tenant)
    assert apply_sla(ticket=ticket) == p
    add(tenant, ticket, "q1", started_at=at(0))
    return ticket


def due(ticket) -> dt.datetime | None:
    ticket.refresh_from_db()
    return ticket.next_response_due_at


def test_customer_message_after_the_first_response_starts_the_clock_and_a_reply_stops_it(desk):
    tenant = desk["tenant"]
    ticket = ticket_with_policy(tenant, next_response_seconds=1800)
    assert due(ticket) is None  # before the first response the first-response clock runs
    add(tenant, ticket, "a1", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(10))
    assert due(ticket) is None
    add(tenant, ticket, "q2", started_at=at(20))
    assert due(ticket) == at(50)
    add(tenant, ticket, "q3", started_at=at(25))  # the latest customer message counts
    assert due(ticket) == at(55)
    # Neither a bot message, a system message nor an internal note is a reply.
    add(tenant, ticket, "b1", direction="outbound", author_type="bot", started_at=at(30))
    add(tenant, ticket, "n1", direction="outbound", author_type="agent", agent="ana@alpha.test",
        is_internal=True, started_at=at(31))
    assert due(ticket) == at(55)
    add(tenant, ticket, "a2", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(40))
    assert due(ticket) is None
    # Imported history out of order: an older customer message does not restart a stopped clock.
    add(tenant, ticket, "q0", started_at=at(15))
    assert due(ticket) is None


def test_business_hours_next_response_and_resolving_clears_it(desk):
    tenant = desk["tenant"]
    calendar = BusinessCalendar.objects.create(tenant=tenant, name="9-5", timezone="UTC", weekly_hours=NINE_TO_FIVE)
    ticket = ticket_with_policy(tenant, next_response_seconds=1800, calendar=calendar)
    add(tenant, ticket, "a1", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(5))
    friday_1650 = dt.datetime(2025, 3, 7, 16, 50, tzinfo=dt.UTC)
    add(tenant, ticket, "q2", started_at=friday_1650)
    # 10 minutes on Friday, 20 on Monday morning.
    assert due(ticket) == dt.datetime(2025, 3, 10, 9, 20, tzinfo=dt.UTC)
    change_status(tenant=tenant, ticket=ticket,
                  data=StatusData(status="resolved", changed_at=friday_1650 + dt.timedelta(hours=1)))
    assert due(ticket) is None
    # The customer writes again: the ticket reopens and the clock restarts from that message.
    saturday = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
    add(tenant, ticket, "q3", started_at=saturday)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.next_response_due_at == dt.datetime(2025, 3, 10, 9, 30, tzinfo=dt.UTC)


def test_no_next_response_target_no_clock(desk):
    tenant = desk["tenant"]
    ticket = ticket_with_policy(tenant)
    add(tenant, ticket, "a1", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(5))
    add(tenant, ticket, "q2", started_at=at(20))
    assert due(ticket) is None


def test_late_next_response_is_breached_in_state_and_beat_task(desk):
    tenant = desk["tenant"]
    ticket = ticket_with_policy(tenant, next_response_seconds=1800)
    add(tenant, ticket, "a1", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(10))
    add(tenant, ticket, "q2", started_at=at(20))
    ticket = Ticket.objects.select_related("sla_policy").get(pk=ticket.pk)
    assert sla_state(ticket, at(30)) == "ok"
    assert sla_state(ticket, at(40)) == "due_soon"  # 15-minute window before at(50)
    late = at(51)
    assert sla_state(ticket, late) == "breached"
    assert annotate_sla_state(Ticket.objects.filter(pk=ticket.pk), late).get().sla_state == "breached"
    result = check_sla(tenant=tenant, now=late)
    assert result.breaches == 1
    assert list(SlaEvent.objects.values_list("ticket_id", "clock", "kind", "due_at")) == [
        (ticket.pk, "next_response", "breach", at(50))]
    # The agent finally replies: the clock stops and the ticket is no longer breached on it.
    add(tenant, ticket, "a2", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(70))
    ticket = Ticket.objects.select_related("sla_policy").get(pk=ticket.pk)
    assert ticket.next_response_due_at is None and sla_state(ticket, at(71)) == "ok"
