"""The merged timeline of an account or a contact, one page at a time (accounts.timeline.registry)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Contact, CustomerAccount, Tenant
from accounts.timeline import registry
from accounts.timeline.models import AccountNote, NoteKind
from accounts.timeline.registry import Cursor, TimelineEvent, TimelineQuery

TIMELINE_LIMIT = 50


@dataclass(frozen=True)
class TimelinePage:
    events: list[TimelineEvent]
    next_cursor: Cursor | None  # where the next (older) page starts; None = this is the last page


def _page(tenant: Tenant, subject: str, *, account: CustomerAccount | None, contact: Contact | None,
          before: Cursor | None, kinds: Iterable[str] | None, limit: int) -> TimelinePage:
    wanted = None if kinds is None else frozenset(kinds)
    events: list[TimelineEvent] = []
    for source in registry.sources():
        fetch = getattr(source, f"{subject}_events")
        own = source.kind_names() if wanted is None else source.kind_names() & wanted
        if fetch is None or not own:
            continue  # a source of no wanted kind costs nothing
        # limit + 1 from each: the extra event tells whether an older page exists.
        query = TimelineQuery(tenant=tenant, account=account, contact=contact, before=before, kinds=own,
                              limit=limit + 1)
        events.extend(fetch(query))
    events.sort(key=TimelineEvent.sort_key, reverse=True)
    shown = events[:limit]
    more = len(events) > limit
    return TimelinePage(events=shown, next_cursor=shown[-1].cursor if more and shown else None)


def account_timeline(*, tenant: Tenant, account: CustomerAccount, before: Cursor | None = None,
                     kinds: Iterable[str] | None = None, limit: int = TIMELINE_LIMIT) -> TimelinePage:
    """The account's events of ``kinds`` (None = every kind), newest first, older than ``before``."""
    return _page(tenant, "account", account=account, contact=None, before=before, kinds=kinds, limit=limit)


def contact_timeline(*, tenant: Tenant, contact: Contact, before: Cursor | None = None,
                     kinds: Iterable[str] | None = None, limit: int = TIMELINE_LIMIT) -> TimelinePage:
    """The contact's own events (first seen, their tickets on every channel...), newest first."""
    return _page(tenant, "contact", account=None, contact=contact, before=before, kinds=kinds, limit=limit)


def logged_touches(*, tenant: Tenant) -> QuerySet:
    """Logged touches (a call, a meeting, an email; not plain notes) as a queryset other apps refine: the
    closed loop takes the first one on an account after a response. A touch names no contact, so a touch
    on the account counts for each of its contacts."""
    return AccountNote.objects.filter(tenant=tenant).exclude(kind=NoteKind.NOTE)
