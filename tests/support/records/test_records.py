"""Tickets and interactions per METRICS.md: first response, status history, reopen, handle time."""

from __future__ import annotations

import pytest

from support.models import Interaction, Ticket, TicketStatusChange
from support.records.data import StatusData
from support.records.services.tickets import assign_ticket, change_status
from tests.support.conftest import add, at, make_ticket

pytestmark = pytest.mark.django_db


def _reload(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_first_response_is_the_first_public_agent_reply_after_the_first_inbound(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant)
    # A proactive outbound message before the customer wrote is not a response to them.
    add(tenant, ticket, "i0", direction="outbound", author_type="agent", agent="bob@alpha.test", started_at=at(-5))
    add(tenant, ticket, "i1", started_at=at(0))
    add(tenant, ticket, "i2", direction="outbound", author_type="agent", agent="bob@alpha.test",
        started_at=at(1), is_internal=True)  # internal note
    add(tenant, ticket, "i3", direction="outbound", author_type="bot", started_at=at(2))  # bot reply
    add(tenant, ticket, "i4", direction="outbound", author_type="system", started_at=at(3))
    ticket = _reload(ticket)
    assert ticket.first_response_at is None
    add(tenant, ticket, "i5", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(30))
    add(tenant, ticket, "i6", direction="outbound", author_type="agent", agent="bob@alpha.test", started_at=at(40))
    ticket = _reload(ticket)
    assert ticket.first_response_at == at(30)
    assert ticket.first_responder == desk["ana"]


def test_first_response_recomputed_when_an_earlier_reply_arrives_later(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant)
    add(tenant, ticket, "i1", started_at=at(0))
    add(tenant, ticket, "late", direction="outbound", author_type="agent", agent="bob@alpha.test", started_at=at(50))
    add(tenant, ticket, "early", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(10))
    ticket = _reload(ticket)
    assert (ticket.first_response_at, ticket.first_responder) == (at(10), desk["ana"])


def test_live_inbound_answered_counts_as_the_first_response(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant, channel="phone")
    add(tenant, ticket, "call", channel="phone", started_at=at(0), queued_at=at(0), answered_at=at(2),
        ended_at=at(12), agent="bob@alpha.test")
    add(tenant, ticket, "mail", direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=at(20))
    ticket = _reload(ticket)
    assert (ticket.first_response_at, ticket.first_responder) == (at(2), desk["bob"])


def test_abandoned_live_inbound_is_no_response(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant, channel="chat")
    add(tenant, ticket, "chat", channel="chat", started_at=at(0), queued_at=at(0), answered_at=None, ended_at=at(5))
    assert _reload(ticket).first_response_at is None
    call = Interaction.objects.get(external_id="chat")
    assert call.handle_time_seconds is None  # never answered: no handle time


def test_handle_time_explicit_or_live(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant, channel="phone")
    add(tenant, ticket, "live", channel="phone", started_at=at(0), answered_at=at(1), ended_at=at(11))
    add(tenant, ticket, "explicit", channel="phone", started_at=at(20), answered_at=at(21), ended_at=at(31),
        handle_seconds=900)
    add(tenant, ticket, "mail", direction="outbound", author_type="agent", started_at=at(40), handle_seconds=120)
    add(tenant, ticket, "mail2", direction="outbound", author_type="agent", started_at=at(50))
    got = dict(Interaction.objects.filter(ticket=ticket).values_list("external_id", "handle_time_seconds"))
    assert got == {"live": 600.0, "explicit": 900.0, "mail": 120.0, "mail2": None}
    live = Interaction.objects.get(external_id="live")
    assert live.queued_at == at(0)  # a live inbound interaction is queued when it starts


def test_out_of_order_historical_status_changes(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant)
    # Arrival order differs from time order.
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(300)))
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="open", changed_at=at(10)))
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(100)))
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="open", changed_at=at(200)))
    ticket = _reload(ticket)
    assert ticket.resolved_at == at(100)
    assert ticket.last_resolved_at == at(300)
    assert ticket.status == "resolved"
    # A late-arriving older row never changes the current status.
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="pending", changed_at=at(50)))
    ticket = _reload(ticket)
    assert ticket.status == "resolved" and ticket.resolved_at == at(100)
    # A retried change is not a second row.
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="pending", changed_at=at(50)))
    assert TicketStatusChange.objects.filter(ticket=ticket).count() == 5


def test_resolved_assignee_is_the_agent_assigned_at_first_resolution(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant, assignee="ana@alpha.test")
    assign_ticket(tenant=tenant, ticket=ticket, agent=desk["bob"], assigned_at=at(50))
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(40)))
    ticket = _reload(ticket)
    assert ticket.assignee == desk["bob"]
    assert ticket.resolved_assignee == desk["ana"]
    # An earlier first resolution arriving later moves the attribution with it.
    assign_ticket(tenant=tenant, ticket=ticket, agent=None, assigned_at=at(20))
    ticket = _reload(ticket)
    assert ticket.resolved_assignee is None and ticket.assignee == desk["bob"]


def test_new_inbound_message_reopens_a_resolved_ticket(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant)
    add(tenant, ticket, "q", started_at=at(0))
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(60)))
    # An imported older message does not reopen: history already says what happened.
    add(tenant, ticket, "older", started_at=at(30))
    assert _reload(ticket).status == "resolved"
    # A bot or agent message does not reopen either.
    add(tenant, ticket, "bot", direction="outbound", author_type="bot", started_at=at(70))
    assert _reload(ticket).status == "resolved"
    add(tenant, ticket, "again", started_at=at(90))
    ticket = _reload(ticket)
    assert ticket.status == "open"
    assert ticket.resolved_at == at(60) and ticket.last_resolved_at == at(60)
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(120)))
    ticket = _reload(ticket)
    assert (ticket.resolved_at, ticket.last_resolved_at) == (at(60), at(120))


def test_closed_ticket_is_not_reopened(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant)
    change_status(tenant=tenant, ticket=ticket, data=StatusData(status="closed", changed_at=at(60)))
    add(tenant, ticket, "after", started_at=at(90))
    assert _reload(ticket).status == "closed"


def test_interaction_idempotent_and_updatable_by_external_id(desk):
    tenant = desk["tenant"]
    ticket = make_ticket(tenant, channel="phone")
    add(tenant, ticket, "call", channel="phone", started_at=at(0))
    add(tenant, ticket, "call", channel="phone", started_at=at(0))
    assert Interaction.objects.filter(external_id="call").count() == 1
    assert _reload(ticket).first_response_at is None
    # The same call posted again once answered: updated, and the answer counts as the first response.
    add(tenant, ticket, "call", channel="phone", started_at=at(0), answered_at=at(3), ended_at=at(9),
        agent="ana@alpha.test")
    assert Interaction.objects.filter(external_id="call").count() == 1
    assert _reload(ticket).first_response_at == at(3)
