"""support.records.backlog: open spans give exactly the METRICS.md backlog.

The definition, evaluated naively in Python (:func:`open_by_definition`), is the oracle: a ticket is in the
backlog at T when ``created_at < T`` and its latest status change with ``changed_at < T`` (by changed_at,
then id) is not resolved/closed, no change = open. Random histories include ties at one instant, changes
dated before the ticket's creation, and instants exactly on a change.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from support.models import TicketOpenSpan, TicketStatusChange
from support.records.backlog import backlog_at, rebuild_open_spans, refresh_open_spans
from support.records.data import StatusData, TicketData
from support.records.services.tickets import change_status, upsert_ticket
from tests.support.conftest import make_ticket

BASE = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
STATUSES = ("open", "pending", "on_hold", "resolved", "closed")


def at(hours: int) -> dt.datetime:
    return BASE + dt.timedelta(hours=hours)


def open_by_definition(created_at, changes, instant) -> bool:
    """changes: [(changed_at, id, status)]."""
    if not created_at < instant:
        return False
    before = sorted(c for c in changes if c[0] < instant)
    return not before or before[-1][2] not in ("resolved", "closed")


def test_random_histories_match_the_definition(desk):
    t = desk["tenant"]
    rng = random.Random(20261124)
    histories = {}
    for n in range(40):
        channel = rng.choice(["email", "chat", "phone"])
        created = at(rng.randrange(0, 40))
        ticket = make_ticket(t, f"B{n}", channel=channel, created_at=created)
        TicketStatusChange.objects.filter(ticket=ticket).delete()
        for _ in range(rng.randrange(0, 7)):
            # Hours from before creation (imports) to later; a small range makes ties common.
            TicketStatusChange.objects.create(tenant=t, ticket=ticket, status=rng.choice(STATUSES),
                                              changed_at=created + dt.timedelta(hours=rng.randrange(-3, 12)))
        refresh_open_spans(ticket)
        histories[ticket.pk] = (created, channel, [(c.changed_at, c.pk, c.status) for c in
                                                   TicketStatusChange.objects.filter(ticket=ticket)])
    instants = [at(h) for h in range(-2, 56, 3)]
    expected: dict[tuple, int] = {}
    for created, channel, changes in histories.values():
        for instant in instants:
            if open_by_definition(created, changes, instant):
                for key in ((instant, None), (instant, channel)):
                    expected[key] = expected.get(key, 0) + 1
    overall = backlog_at(t.pk, instants)
    by_channel = backlog_at(t.pk, instants, by_channel=True)
    assert overall == {k: v for k, v in expected.items() if k[1] is None}
    assert by_channel == {k: v for k, v in expected.items() if k[1] is not None}
    assert sum(overall.values()) > 0  # the fixture does exercise open tickets

    # Rebuilding the whole tenant set-based gives the same spans as the per-ticket refreshes.
    def spans():
        return sorted(TicketOpenSpan.objects.values_list("ticket_id", "channel", "opened_at", "closed_at"),
                      key=lambda s: (s[0], s[2], s[3] is None, s[3]))
    per_ticket = spans()
    rebuild_open_spans(t.pk)
    assert spans() == per_ticket


def test_the_services_keep_spans_in_step(desk):
    """Status changes (including historical ones out of order), a reopen by a customer message, and a
    changed created_at or channel all move the backlog."""
    t = desk["tenant"]
    ticket = make_ticket(t, "S1", channel="email", created_at=at(0))
    assert backlog_at(t.pk, [at(1)]) == {(at(1), None): 1}
    change_status(tenant=t, ticket=ticket, data=StatusData(status="resolved", changed_at=at(5)))
    assert backlog_at(t.pk, [at(5), at(6)]) == {(at(5), None): 1}  # still open at the instant of resolving
    # historical, before the resolve
    change_status(tenant=t, ticket=ticket, data=StatusData(status="open", changed_at=at(3)))
    change_status(tenant=t, ticket=ticket, data=StatusData(status="closed", changed_at=at(2)))
    # 0..2 open, 2..3 closed, 3..5 open, then resolved.
    assert backlog_at(t.pk, [at(1), at(2.5), at(4), at(6)]) == {(at(1), None): 1, (at(4), None): 1}
    upsert_ticket(tenant=t, data=TicketData(external_id="S1", created_at=at(3.5), channel="chat"))
    assert backlog_at(t.pk, [at(1), at(4)], by_channel=True) == {(at(4), "chat"): 1}


@pytest.mark.parametrize("instants", [[], [BASE]])
def test_no_tickets_no_backlog(desk, instants):
    assert backlog_at(desk["tenant"].pk, instants) == {}
