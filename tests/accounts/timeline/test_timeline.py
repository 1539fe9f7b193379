"""The account and contact timelines: the registry, each source, the keyset order and pagination across
sources (equal timestamps included), the kind filter, bad parameters, and bounded query counts."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountNote
from accounts.timeline import registry
from accounts.timeline.registry import EventKind, TimelineEvent, TimelineSource
from accounts.timeline.selectors import account_timeline, contact_timeline
from support.models import Ticket, TicketStatusChange
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
ACCOUNT_KINDS = {"account.created", "account.updated", "contact.first_seen", "csm.note", "csm.call", "csm.meeting",
                 "csm.email", "ticket.opened", "ticket.resolved", "ticket.reopened", "surveys.answered",
                 "learning.enrolled", "learning.step_done", "learning.path_completed"}
CONTACT_KINDS = {"contact.first_seen", "ticket.opened", "ticket.resolved", "ticket.reopened", "surveys.answered",
                 "learning.enrolled", "learning.step_done", "learning.path_completed"}


def note(world, account, *, at=T0, kind="note", subject="Kick-off", author=None) -> AccountNote:
    return AccountNote.objects.create(tenant=world.tenant, account=account, kind=kind, subject=subject,
                                      body="Talked about seats.", happened_at=at,
                                      author=(author or world.csm).user)


def ticket(world, contact, *, at=T0, subject="Export fails", channel="email", n=[0]) -> Ticket:  # noqa: B006
    n[0] += 1
    return Ticket.objects.create(tenant=world.tenant, external_id=f"tl-{n[0]}", contact=contact,
                                 account=contact.account, channel=channel, subject=subject, created_at=at)


def status(world, t, value, at) -> TicketStatusChange:
    return TicketStatusChange.objects.create(tenant=world.tenant, ticket=t, status=value, changed_at=at)


def walk(fetch, limit: int) -> list[TimelineEvent]:
    """Every event, page after page of ``limit``, following the cursor."""
    events, before = [], None
    for _ in range(100):
        page = fetch(before=before, limit=limit)
        events += page.events
        if page.next_cursor is None:
            return events
        before = page.next_cursor
    raise AssertionError("the cursor never ends")


# --- the registry ----------------------------------------------------------------------------------


def test_registered_kinds_of_the_account_and_contact_timelines():
    assert {k.name for k in registry.kinds_for("account")} == ACCOUNT_KINDS
    assert {k.name for k in registry.kinds_for("contact")} == CONTACT_KINDS
    assert {s.name for s in registry.sources()} >= {"accounts.lifecycle", "accounts.contacts", "accounts.notes",
                                                    "support.tickets_opened", "support.ticket_status"}


def test_a_kind_belongs_to_one_source_only():
    with pytest.raises(ValueError, match="ticket.opened"):
        registry.register(TimelineSource(name="someone.else", kinds=(EventKind("ticket.opened", "Opened"),),
                                         account_events=lambda q: []))
    assert "someone.else" not in {s.name for s in registry.sources()}


def test_a_registered_source_plugs_into_both_timelines_and_the_kind_filter(world_a):
    a = world_a
    seen = []

    def events(query):
        seen.append(query)
        subject = query.account or query.contact
        return [TimelineEvent(at=T0, kind="test.thing", key=subject.pk, title="A thing happened", detail="Thing")]

    registry.register(TimelineSource(name="test.things", kinds=(EventKind("test.thing", "Thing"),),
                                     account_events=events, contact_events=events))
    try:
        with a.scope():
            page = account_timeline(tenant=a.tenant, account=a.accounts[0])
            assert "test.thing" in [e.kind for e in page.events]
            assert "test.thing" in [e.kind for e in contact_timeline(tenant=a.tenant, contact=a.contacts[0]).events]
            # A source of no wanted kind is not asked at all.
            before = len(seen)
            account_timeline(tenant=a.tenant, account=a.accounts[0], kinds=["csm.note"])
            assert len(seen) == before
        assert seen[0].limit == 51 and seen[0].kinds == frozenset({"test.thing"})
        body = a.client_for(a.viewer).get(reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk])).content
        assert b'value="test.thing"' in body and b"A thing happened" in body
    finally:
        registry.unregister("test.things")


# --- the sources -----------------------------------------------------------------------------------


def test_account_sources_lifecycle_contacts_notes_and_tickets(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        seen = ContactFactory(account=account, name="Dana Reyes", first_seen_at=T0 - dt.timedelta(days=2))
        note(a, account, kind="call", subject="Quarterly review", at=T0 - dt.timedelta(days=1))
        t = ticket(a, seen, subject="Export fails", channel="chat", at=T0)
        status(a, t, "resolved", T0 + dt.timedelta(hours=1))
        status(a, t, "open", T0 + dt.timedelta(hours=2))  # reopened
        status(a, t, "pending", T0 + dt.timedelta(hours=3))  # neither resolved nor a reopening
        status(a, t, "closed", T0 + dt.timedelta(hours=4))  # closing is not shown (not a timeline kind)
        other = ticket(a, a.contacts[1], subject="Elsewhere")  # another account's ticket
        events = account_timeline(tenant=a.tenant, account=account).events
    by_kind = {}
    for e in events:
        by_kind.setdefault(e.kind, []).append(e)
    assert events[0].kind == "account.created"  # now, after T0
    assert [e.kind for e in events[1:5]] == ["ticket.reopened", "ticket.resolved", "ticket.opened", "csm.call"]
    opened = by_kind["ticket.opened"][0]
    assert (opened.title, opened.detail, opened.context) == ("Ticket opened", "Export fails", "Chat · Dana Reyes")
    assert opened.url == reverse("ticket-detail", args=[a.tenant.slug, t.pk])
    assert by_kind["ticket.reopened"][0].detail == "Export fails"
    assert len(by_kind["ticket.resolved"]) == 1
    call = by_kind["csm.call"][0]
    assert (call.title, call.detail, call.body) == ("Call logged", "Quarterly review", "Talked about seats.")
    assert call.context == f"by {a.csm.user.get_full_name() or a.csm.user.email}"
    first_seen = [e for e in by_kind["contact.first_seen"] if e.detail == "Dana Reyes"]
    assert first_seen and first_seen[0].url == reverse("contact-detail", args=[a.tenant.slug, seen.pk])
    assert by_kind["account.created"][0].detail == account.name
    assert all(e.detail != "Elsewhere" for e in events) and other.pk


def test_a_reopening_after_an_equal_timestamp_follows_the_insertion_order(world_a):
    """Resolved then open at the same instant: the history's order (then insertion) makes it a reopening.
    (On the timeline, equal timestamps are ordered by kind name, the keyset's tie-break.)"""
    a = world_a
    with a.scope():
        t = ticket(a, a.contacts[0])
        status(a, t, "resolved", T0)
        status(a, t, "open", T0)
        kinds = [e.kind for e in account_timeline(tenant=a.tenant, account=a.accounts[0],
                                                  kinds=["ticket.resolved", "ticket.reopened"]).events]
    assert kinds == ["ticket.resolved", "ticket.reopened"]
    with a.scope():
        status(a, t, "open", T0 - dt.timedelta(minutes=1))  # before the resolution: no reopening
        assert len(account_timeline(tenant=a.tenant, account=a.accounts[0], kinds=["ticket.reopened"]).events) == 1


def test_contact_timeline_holds_the_contacts_tickets_on_every_channel(world_a):
    a = world_a
    with a.scope():
        contact = a.contacts[0]
        contact.first_seen_at = T0 - dt.timedelta(days=5)
        contact.save()
        mail = ticket(a, contact, subject="Invoice question", channel="email", at=T0)
        call = ticket(a, contact, subject="", channel="phone", at=T0 + dt.timedelta(hours=1))
        status(a, mail, "resolved", T0 + dt.timedelta(hours=2))
        ticket(a, a.contacts[3], subject="Colleague's ticket")  # same account, another contact
        note(a, contact.account)  # account notes are not the contact's
        events = contact_timeline(tenant=a.tenant, contact=contact).events
    assert [(e.kind, e.detail) for e in events] == [
        ("ticket.resolved", "Invoice question"),
        ("ticket.opened", f"Phone ticket from {contact.name}"),  # no subject: what a person reads, not an id
        ("ticket.opened", "Invoice question"),
        ("contact.first_seen", str(contact)),
    ]
    assert events[1].url == reverse("ticket-detail", args=[a.tenant.slug, call.pk])
    assert events[1].context == "Phone"  # the contact's own page does not repeat their name
    response = a.client_for(a.viewer).get(reverse("contact-detail", args=[a.tenant.slug, contact.pk]))
    body = response.content.decode()
    assert 'id="timeline"' in body and "Invoice question" in body and "Colleague" not in body
    assert 'id="note-form"' not in body  # notes are written on the account page


# --- order, pagination, the kind filter ------------------------------------------------------------


def _crowd(a, account, n=7):
    """Events of four sources, many of them at the very same instant."""
    for i in range(n):
        note(a, account, kind=("note", "call")[i % 2], subject=f"n{i}")
        ContactFactory(account=account, first_seen_at=T0)
        t = ticket(a, a.contacts[0], at=T0, subject=f"t{i}")
        status(a, t, "resolved", T0)


def test_pages_across_sources_with_equal_timestamps_neither_repeat_nor_skip(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        _crowd(a, account)
        everything = account_timeline(tenant=a.tenant, account=account, limit=1000).events

        def fetch(**kw):
            return account_timeline(tenant=a.tenant, account=account, **kw)

        for limit in (1, 3, 4, 10):
            walked = walk(fetch, limit)
            assert walked == everything, limit
    assert len(everything) == 7 * 4 + 1  # and the account's creation
    keys = [e.sort_key() for e in everything]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    assert sum(1 for e in everything if e.at == T0) == 28


def test_kind_filter_and_its_pages(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        _crowd(a, account)

        def fetch(**kw):
            return account_timeline(tenant=a.tenant, account=account, kinds=["csm.call", "ticket.resolved"], **kw)

        walked = walk(fetch, 2)
    assert [e.kind for e in walked].count("csm.call") == 3
    assert [e.kind for e in walked].count("ticket.resolved") == 7
    assert {e.kind for e in walked} == {"csm.call", "ticket.resolved"}


def test_the_page_follows_the_older_link_and_filters_by_kind(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        for i in range(55):
            note(a, account, subject=f"Note number {i:02d}", at=T0 + dt.timedelta(minutes=i))
    client = a.client_for(a.viewer)
    url = reverse("account-detail", args=[a.tenant.slug, account.pk])
    first = client.get(url)
    assert len(first.context["timeline"]) == 50 and first.context["timeline_next"]
    # The account's creation (now) and notes 54 to 06 (after T0): 50 events.
    assert "Note number 06" in first.content.decode() and "Note number 05" not in first.content.decode()
    older = client.get(url + "?before=" + quote(first.context["timeline_next"]), headers={"HX-Request": "true"})
    body = older.content.decode()
    assert older.status_code == 200 and body.lstrip().startswith("<section") and "<html" not in body
    assert "Note number 05" in body and "Note number 00" in body and "Note number 06" not in body
    assert older.context["timeline_next"] == ""
    only_created = client.get(url + "?kind=account.created")
    assert [e.kind for e in only_created.context["timeline"]] == ["account.created"]


@pytest.mark.parametrize(("query", "field"), [
    ("?kind=nope", "kind"),
    ("?before=yesterday", "before"),
    ("?before=2026-01-01T00:00:00%2B00:00~csm.note~x", "before"),
    ("?before=1999-01-01T00:00:00%2B00:00~csm.note~1", "before"),
    ("?before=2026-01-01T00:00:00~csm.note~1", "before"),  # no offset
    ("?before=2026-01-01T00:00:00%2B00:00~nope~1", "before"),
    ("?before=2026-01-01T00:00:00%2B00:00~csm.note~99999999999999999999999", "before"),
])
def test_bad_timeline_parameters_are_400_naming_the_field(world_a, query, field):
    a = world_a
    client = a.client_for(a.viewer)
    for url in (reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk]),
                reverse("contact-detail", args=[a.tenant.slug, a.contacts[0].pk])):
        response = client.get(url + query)
        assert response.status_code == 400, (url, query)
        assert response.content.decode().startswith(f"{field}:")


def test_contact_page_refuses_account_only_kinds(world_a):
    a = world_a
    response = a.client_for(a.viewer).get(reverse("contact-detail", args=[a.tenant.slug, a.contacts[0].pk])
                                          + "?kind=csm.note")
    assert response.status_code == 400 and b"kind:" in response.content


# --- bounded queries -------------------------------------------------------------------------------


def _queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _many_events(a, account, contact, n):
    for i in range(n):
        at = T0 + dt.timedelta(minutes=i)
        note(a, account, kind=("note", "call", "meeting", "email")[i % 4], at=at)
        ContactFactory(account=account, first_seen_at=at)
        t = ticket(a, contact, at=at, subject=f"Ticket {i}")
        status(a, t, "resolved", at + dt.timedelta(seconds=1))
        status(a, t, "open", at + dt.timedelta(seconds=2))


def test_account_and_contact_page_queries_do_not_grow_with_events(world_a):
    a = world_a
    account, contact = a.accounts[0], a.contacts[0]
    client = a.client_for(a.csm)
    account_url = reverse("account-detail", args=[a.tenant.slug, account.pk])
    contact_url = reverse("contact-detail", args=[a.tenant.slug, contact.pk])
    with a.scope():
        _many_events(a, account, contact, 1)
    small = {u: (_queries(client, u), _queries(client, u, **{"HX-Request": "true"})) for u in (account_url,
                                                                                              contact_url)}
    with a.scope():
        _many_events(a, account, contact, 60)
    for url in (account_url, contact_url):
        assert (_queries(client, url), _queries(client, url, **{"HX-Request": "true"})) == small[url]
    response = client.get(account_url)
    assert len(response.context["timeline"]) == 50 and response.context["timeline_next"]
    # One query per source (contacts, notes, tickets opened, ticket status, survey answers, learning enrollments,
    # steps and completions) on top of the page's own.
    with CaptureQueriesContext(connection) as ctx:
        client.get(account_url + "?before=" + quote(response.context["timeline_next"]),
                   headers={"HX-Request": "true"})
    timeline_queries = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"] and "LIMIT 51" in q["sql"]]
    assert len(timeline_queries) == 8, timeline_queries
    assert small[account_url][0] <= 19 and small[contact_url][0] <= 12, small  # learning: 3 sources

