"""The timeline's sources: one interface, one registry, one keyset order.

A source is a :class:`TimelineSource`: a unique ``name``, the :class:`EventKind` list it produces, and a
function per subject it has events for (``account_events``, ``contact_events``; None = nothing for that
subject). The function takes a :class:`TimelineQuery` and answers at most ``query.limit`` events, each of
a kind in ``query.kinds``, each strictly older than ``query.before`` in the timeline's order, newest first.

The order is the keyset ``(at, kind, key)`` descending, ``key`` being the event's row id within its kind.
It is total, so a page boundary that falls inside a run of equal timestamps neither repeats nor skips an
event. The selector asks every source for ``limit + 1`` events older than the cursor, merges them, and
keeps ``limit``: a page costs at most one query per source, whatever the number of events.

To add a source (surveys, learning, health bands, tasks...), in the owning app:

1. write the function(s) as a selector of that app: filter by ``query.tenant`` and the subject, then hand
   the queryset to :func:`keyset` with one ``Q`` per event kind (what makes a row that kind) and the
   field names of the time and the key; map the rows to :class:`TimelineEvent` (a title a person reads:
   subjects and names, not internal ids; ``url`` to the object's page). :func:`keyset` applies the kind
   filter and the cursor and orders by the same keyset, so the source stays one bounded query. Use an
   index that starts with ``tenant`` and the subject (e.g. ``(tenant, account, created_at)``);
2. register it once at start-up, from the app's ``AppConfig.ready()``:
   ``registry.register(TimelineSource(name="surveys.responses", kinds=(...), account_events=...,
   contact_events=...))``. Kind names are ``"<app or object>.<what happened>"`` and unique across sources.

accounts imports no other app for this: the other apps import this module (support's ticket source,
support.records.timeline, is the example). Tests pin the list of kinds (tests/accounts/timeline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When

if TYPE_CHECKING:
    from accounts.models import Contact, CustomerAccount, Tenant


@dataclass(frozen=True)
class EventKind:
    name: str  # e.g. "ticket.opened": the kind filter's value; templates may style by it
    label: str  # what the kind filter shows, e.g. "Ticket opened"


@dataclass(frozen=True)
class Cursor:
    """A position in the timeline: the events after it are those strictly older in ``(at, kind, key)``."""

    at: dt.datetime
    kind: str
    key: int

    def as_param(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.key}"


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    kind: str
    key: int  # the row id within its kind: the tie-break of equal timestamps
    title: str  # what happened, e.g. "Ticket opened"
    detail: str = ""  # what it happened to, as a person reads it: a subject, a name
    url: str = ""  # the page of ``detail``, if it has one
    context: str = ""  # secondary facts, e.g. "Email · Dana Reyes"
    body: str = ""  # longer text (a note), shown as written
    author_id: int | None = None  # the user who wrote it, when a person did (notes: who may edit)
    edit_url: str = ""

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, self.kind, self.key)

    def sort_key(self) -> tuple[dt.datetime, str, int]:
        return (self.at, self.kind, self.key)


@dataclass(frozen=True)
class TimelineQuery:
    tenant: Tenant
    account: CustomerAccount | None  # exactly one of account and contact is set
    contact: Contact | None
    before: Cursor | None  # None = from the newest
    kinds: frozenset[str]  # the wanted kinds, all of this source's own (never empty)
    limit: int


EventsFunction = Callable[[TimelineQuery], Iterable[TimelineEvent]]


@dataclass(frozen=True)
class TimelineSource:
    name: str
    kinds: tuple[EventKind, ...]
    account_events: EventsFunction | None = None
    contact_events: EventsFunction | None = None

    def kind_names(self) -> frozenset[str]:
        return frozenset(k.name for k in self.kinds)


_SOURCES: dict[str, TimelineSource] = {}


def register(source: TimelineSource) -> None:
    """Add ``source`` (or replace the one of the same name: a reloaded app registers again). A kind that
    another source already produces is refused: the kind filter and the keyset need each name once."""
    for other in _SOURCES.values():
        taken = other.kind_names() & source.kind_names()
        if other.name != source.name and taken:
            raise ValueError(f"timeline kinds {sorted(taken)} already belong to source {other.name!r}")
    _SOURCES[source.name] = source


def unregister(name: str) -> None:
    """Remove a source (tests that register a temporary one)."""
    _SOURCES.pop(name, None)


def sources() -> list[TimelineSource]:
    return list(_SOURCES.values())


def kinds_for(subject: str) -> list[EventKind]:
    """The kinds of the sources that have events for ``subject`` ("account" or "contact"), by label."""
    attr = f"{subject}_events"
    return sorted((k for s in _SOURCES.values() if getattr(s, attr) is not None for k in s.kinds),
                  key=lambda k: k.label)


def is_older(at: dt.datetime, kind: str, key: int, before: Cursor | None) -> bool:
    """Whether an event at ``(at, kind, key)`` comes after ``before`` (sources that hold their events in
    Python, e.g. the account's own lifecycle, filter with it)."""
    return before is None or (at, kind, key) < (before.at, before.kind, before.key)


def _older_than(before: Cursor | None, kind: str, at: str, key: str) -> Q:
    # Kinds are compared here, in Python, never in SQL: the database's collation may order strings
    # differently from Python, and the merge sorts in Python.
    if before is None:
        return Q()
    if kind < before.kind:
        return Q(**{f"{at}__lte": before.at})
    if kind == before.kind:
        return Q(**{f"{at}__lt": before.at}) | Q(**{at: before.at, f"{key}__lt": before.key})
    return Q(**{f"{at}__lt": before.at})


def keyset(queryset: QuerySet, *, query: TimelineQuery, kinds: Mapping[str, Q], at: str, key: str = "pk") -> QuerySet:
    """``queryset`` cut to one page of a source: the rows of the wanted kinds (``kinds`` maps each of the
    source's kind names to what makes a row that kind), strictly older than the cursor, newest first in
    the timeline's order, at most ``query.limit``. Each row carries ``timeline_kind``, its kind's name. The
``Q`` of different kinds must not overlap (a row is of one kind); a one-kind source may pass ``Q()``."""
    wanted = sorted(name for name in kinds if name in query.kinds)
    if not wanted:
        return queryset.none()
    match = Q()
    for name in wanted:
        match |= kinds[name] & _older_than(query.before, name, at, key)
    # The rank orders equal timestamps by kind name exactly as the merge does (Python's string order).
    if len(wanted) == 1:  # (When() refuses the empty Q of a one-kind source)
        rank, name = Value(0, output_field=IntegerField()), Value(wanted[0], output_field=CharField())
    else:
        rank = Case(*(When(kinds[k], then=Value(i)) for i, k in enumerate(wanted)), output_field=IntegerField())
        name = Case(*(When(kinds[k], then=Value(k)) for k in wanted), output_field=CharField())
    return (queryset.filter(match).annotate(timeline_rank=rank, timeline_kind=name)
            .order_by(f"-{at}", "-timeline_rank", f"-{key}")[: query.limit])
