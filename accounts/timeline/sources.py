"""The core timeline sources of accounts: the account's own lifecycle, contacts first seen, and the CSM
notes and logged touches. Each is at most one bounded query per page (accounts.timeline.registry).
Registered by :func:`register_core`, from ``AccountsConfig.ready()``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse

from accounts.models import Contact
from accounts.timeline import registry
from accounts.timeline.models import AccountNote, NoteKind
from accounts.timeline.registry import EventKind, TimelineEvent, TimelineQuery, TimelineSource, keyset

ACCOUNT_CREATED = EventKind("account.created", "Account created")
ACCOUNT_UPDATED = EventKind("account.updated", "Account updated")
CONTACT_FIRST_SEEN = EventKind("contact.first_seen", "Contact first seen")
NOTE_KINDS: dict[str, EventKind] = {
    NoteKind.NOTE: EventKind("csm.note", "Note"),
    NoteKind.CALL: EventKind("csm.call", "Call logged"),
    NoteKind.MEETING: EventKind("csm.meeting", "Meeting logged"),
    NoteKind.EMAIL: EventKind("csm.email", "Email logged"),
}


def _account_lifecycle(query: TimelineQuery) -> list[TimelineEvent]:
    """No query: the page already holds the account. Only its creation and last update are known (no
    history of its fields is kept), so "updated" is the latest update only."""
    account = query.account
    events = [TimelineEvent(at=account.created_at, kind=ACCOUNT_CREATED.name, key=account.pk,
                            title="Account created", detail=account.name)]
    # auto_now sets both stamps on insert, a few microseconds apart: only a later save is an update.
    if account.updated_at - account.created_at > dt.timedelta(seconds=1):
        events.append(TimelineEvent(at=account.updated_at, kind=ACCOUNT_UPDATED.name, key=account.pk,
                                    title="Account last updated", detail=account.name))
    return [e for e in events if e.kind in query.kinds and registry.is_older(e.at, e.kind, e.key, query.before)]


def _first_seen_event(tenant_slug: str, pk: int, label: str, seen: dt.datetime) -> TimelineEvent:
    return TimelineEvent(at=seen, kind=CONTACT_FIRST_SEEN.name, key=pk, title="Contact first seen", detail=label,
                         url=reverse("contact-detail", args=[tenant_slug, pk]))


def _contacts_first_seen(query: TimelineQuery) -> list[TimelineEvent]:
    contacts = Contact.objects.filter(tenant=query.tenant, account=query.account, first_seen_at__isnull=False)
    rows = keyset(contacts, query=query, kinds={CONTACT_FIRST_SEEN.name: Q()}, at="first_seen_at").values_list(
        "pk", "name", "email", "external_id", "first_seen_at")
    return [_first_seen_event(query.tenant.slug, pk, name or email or external_id, seen)
            for pk, name, email, external_id, seen in rows]


def _contact_first_seen(query: TimelineQuery) -> list[TimelineEvent]:
    """The contact's own first activity: no query, the page holds the contact."""
    contact = query.contact
    if contact.first_seen_at is None or CONTACT_FIRST_SEEN.name not in query.kinds:
        return []
    if not registry.is_older(contact.first_seen_at, CONTACT_FIRST_SEEN.name, contact.pk, query.before):
        return []
    return [_first_seen_event(query.tenant.slug, contact.pk, str(contact), contact.first_seen_at)]


def _person(user) -> str:
    if user is None:
        return "a former member"
    return user.get_full_name() or user.email or user.username


def _notes(query: TimelineQuery) -> list[TimelineEvent]:
    notes = AccountNote.objects.filter(tenant=query.tenant, account=query.account).select_related("author")
    kinds = {event_kind.name: Q(kind=kind) for kind, event_kind in NOTE_KINDS.items()}
    slug = query.tenant.slug
    return [
        TimelineEvent(
            at=note.happened_at, kind=note.timeline_kind, key=note.pk, title=NOTE_KINDS[note.kind].label,
            detail=note.subject, context=f"by {_person(note.author)}", body=note.body, author_id=note.author_id,
            edit_url=reverse("note-edit", args=[slug, note.pk]),
        )
        for note in keyset(notes, query=query, kinds=kinds, at="happened_at")
    ]


def register_core() -> None:
    registry.register(TimelineSource(name="accounts.lifecycle", kinds=(ACCOUNT_CREATED, ACCOUNT_UPDATED),
                                     account_events=_account_lifecycle))
    registry.register(TimelineSource(name="accounts.contacts", kinds=(CONTACT_FIRST_SEEN,),
                                     account_events=_contacts_first_seen, contact_events=_contact_first_seen))
    registry.register(TimelineSource(name="accounts.notes", kinds=tuple(NOTE_KINDS.values()), account_events=_notes))
