"""Product tasks: a step done when a matching usage event of the learner arrives.

A step matches an event when the event's ``name`` equals the step's ``event_name`` and, for every pair of
the step's ``event_match``, the event's property of that key has that value, compared as text (the text
of a JSON scalar: ``"3"`` for 3, ``"true"`` for true, a string as itself), so the same rule holds in SQL
(``properties ->> key = value``) and here. An event of another name, or with one property different or
missing, is a near miss: it does not complete the step, and the learner is told why.

:func:`task_state` is what the learner portal and the CSM pages show ("why isn't this complete?").

Completion by ingested events (set-based; never on ingestion's request path):

- **After each merge chunk** of ingested batches (``health.usage.services.rollups``): the chunk knows its
  batches' (contact, event name, first day, last day) buckets. When the tenant has open product-task steps
  waiting for any of those names (:func:`waiting_event_names`, cached per process, so a tenant without
  product tasks pays a dictionary look-up), :func:`complete_from_buckets` runs once after the chunk commits:
  one ``INSERT ... SELECT`` finds, for every open enrollment of those contacts with an undone product-task
  step of its version, the earliest matching event within those days (constant bounds on ``occurred_at``, so
  only those partitions are read), ``ON CONFLICT DO NOTHING RETURNING``, then
  :func:`learning.progress.refresh_status`. A failure is logged and left to the sweep: it never fails a merge.
- **Catch-up** (:func:`catch_up`, Celery ``learning.tasks.catch_up_product_tasks``, enqueued after an
  enrollment commits, and every 10 minutes over every waiting contact as a safety sweep): the days on which
  the contacts sent each waiting event name come from ``health_usage_rollups``, then the same insert.

Decisions the issue left open:

- **An event before the enrollment counts.** The learner did create their first pipeline; asking them to
  do it again because the path was published a day later would teach the wrong thing. The step's
  ``done_at`` is then the enrollment time (the step cannot be done for an enrollment before it exists, and
  "time to complete" must not be negative); the evidence keeps the event's own ``occurred_at``.
- **The earliest matching event** is the evidence (ties by event id): it is when the learner first did it.
- Events without a contact never complete anything (a learner is a contact).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from accounts.models import Tenant
from learning.models import Enrollment, Step, StepProgress

log = logging.getLogger(__name__)


def match_text(value: Any) -> str:
    """A property value as the matching compares it (what PostgreSQL's ``->>`` gives for a JSON scalar)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def mismatches(match: dict[str, Any], properties: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The pairs of ``match`` the event's ``properties`` fail: ``(key, wanted, got)``; got is None when missing."""
    out = []
    for key, wanted in match.items():
        got = properties.get(key) if isinstance(properties, dict) else None
        if got is None or isinstance(got, (dict, list)) or match_text(got) != match_text(wanted):
            out.append((key, match_text(wanted), None if got is None else match_text(got)))
    return out


def matches(step: Step, name: str, properties: dict[str, Any]) -> bool:
    return name == step.event_name and not mismatches(step.event_match or {}, properties)


@dataclass(frozen=True)
class TaskState:
    """What a product task's learner sees. ``done`` with its ``evidence`` (event id, name, time); otherwise
    ``waiting_for`` says which event and properties would complete it, and ``near_miss`` is the learner's
    latest event of that name that failed the property match (``event_id``, ``occurred_at``, ``properties``
    compared, ``mismatches`` as ``{"key", "wanted", "got"}``), if any; ``never_seen`` says the learner never
    sent an event of that name at all."""

    done: bool
    waiting_for: str
    evidence: dict[str, Any] = field(default_factory=dict)
    done_at: dt.datetime | None = None
    near_miss: dict[str, Any] | None = None
    never_seen: bool = False


def describe(step: Step) -> str:
    pairs = ", ".join(f"{k} = {match_text(v)}" for k, v in (step.event_match or {}).items())
    return f"the event “{step.event_name}”" + (f" with {pairs}" if pairs else "")


# How many of the latest day's events of the step's name are looked at for a near miss: a learner who
# sent hundreds that day is told about the latest ones, and the query stays bounded.
NEAR_MISS_SCAN = 50


def task_state(*, tenant: Tenant, enrollment: Enrollment, step: Step) -> TaskState:
    """The state of one product-task step for one enrollment, in at most three bounded queries: the progress
    row; if not done, the learner's latest day with an event of the step's name (from the rollups, whose
    index starts with (tenant, account, contact)); then that day's events of that name (one day of one
    partition), of which the latest failing the match is the near miss."""
    progress = StepProgress.objects.filter(tenant=tenant, enrollment=enrollment, step=step).first()
    if progress is not None:
        return TaskState(done=True, waiting_for=describe(step), evidence=progress.evidence, done_at=progress.done_at)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT max(r.day) FROM health_usage_rollups r
            JOIN accounts_contact c ON c.tenant_id = r.tenant_id AND c.id = r.contact_id AND c.account_id = r.account_id
            WHERE r.tenant_id = %(tenant)s AND c.id = %(contact)s AND r.event_name = %(name)s
            """,
            {"tenant": tenant.pk, "contact": enrollment.contact_id, "name": step.event_name})
        day = cursor.fetchone()[0]
        if day is None:
            return TaskState(done=False, waiting_for=describe(step), never_seen=True)
        since, until = day_bounds(tenant, day, day)
        cursor.execute(
            """
            SELECT u.event_id, u.occurred_at, u.properties FROM health_usage_event u
            WHERE u.tenant_id = %(tenant)s AND u.occurred_at >= %(since)s AND u.occurred_at < %(until)s
              AND u.contact_id = %(contact)s AND u.name = %(name)s
            ORDER BY u.occurred_at DESC, u.event_id DESC LIMIT %(limit)s
            """,
            {"tenant": tenant.pk, "since": since, "until": until, "contact": enrollment.contact_id,
             "name": step.event_name, "limit": NEAR_MISS_SCAN})
        rows = cursor.fetchall()
    match = step.event_match or {}
    for event_id, occurred_at, properties in rows:
        if isinstance(properties, str):  # Django's psycopg setup reads jsonb as text
            properties = json.loads(properties)
        failed = mismatches(match, properties)
        if failed:
            return TaskState(done=False, waiting_for=describe(step), near_miss={
                "event_id": event_id, "occurred_at": occurred_at,
                "properties": {k: properties.get(k) for k in match if isinstance(properties, dict)},
                "mismatches": [{"key": k, "wanted": w, "got": g} for k, w, g in failed]})
    # Events of that name were seen and the latest ones match: the completion is on its way (the merge runs
    # seconds after ingestion; the enrollment may also be withdrawn or completed by now).
    return TaskState(done=False, waiting_for=describe(step))


def day_bounds(tenant: Tenant, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants from ``first``'s start to ``last``'s end in the tenant's time zone (rollup days are
    local): constants, so PostgreSQL reads only the partitions between them."""
    zone = zoneinfo.ZoneInfo(tenant.timezone)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


# --- Completion by usage events -------------------------------------------------------------------------

OPEN = ("enrolled", "started")

# Per process: tenant id -> (event names of product-task steps that open enrollments wait for, when read).
# Stale for at most WAITING_TTL seconds after a new enrollment in another process; the catch-up that every
# enrollment enqueues, and the sweep, cover what a stale answer skips.
WAITING_TTL = 30.0
_waiting: dict[int, tuple[frozenset[str], float]] = {}
_waiting_lock = threading.Lock()

_WAITING_SQL = """
SELECT DISTINCT s.event_name FROM learning_step s
WHERE s.tenant_id = %(tenant)s AND s.kind = 'product_task'
  AND EXISTS (SELECT 1 FROM learning_enrollment e
              WHERE e.tenant_id = s.tenant_id AND e.version_id = s.version_id AND e.status IN ('enrolled', 'started'))
"""


def waiting_event_names(tenant: Tenant) -> frozenset[str]:
    """The event names that some open enrollment of ``tenant`` waits for (a product-task step of its version);
    cached per process for :data:`WAITING_TTL` seconds: the merge asks it for every chunk."""
    now = time.monotonic()
    with _waiting_lock:
        cached = _waiting.get(tenant.pk)
    if cached is not None and cached[1] > now - WAITING_TTL:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_SQL, {"tenant": tenant.pk})
        names = frozenset(row[0] for row in cursor.fetchall())
    with _waiting_lock:
        _waiting[tenant.pk] = (names, now)
    return names


def forget_waiting(tenant_id: int | None = None) -> None:
    """Drop the cached names (of one tenant, or all): after an enrollment in this process, and in tests."""
    with _waiting_lock:
        if tenant_id is None:
            _waiting.clear()
        else:
            _waiting.pop(tenant_id, None)


@dataclass(frozen=True)
class Buckets:
    """Where to look for matching events: parallel lists, one entry per (contact, event name, time range):
    the events of that name the contact sent within ``[since, until)``. A merge gives each batch's contact's
    exact range (its first and last event in the batch: seconds for live traffic, so each look-up reads a few
    index entries); the catch-up gives whole local days (from the rollups)."""

    contact_ids: list[int]
    event_names: list[str]
    since: list[dt.datetime]
    until: list[dt.datetime]

    @classmethod
    def of_days(cls, rows: Sequence[tuple[int, str, dt.date, dt.date]], tenant: Tenant) -> Buckets:
        """From (contact, name, first local day, last local day) rows."""
        bounds = [day_bounds(tenant, first, last) for _, _, first, last in rows]
        return cls([r[0] for r in rows], [r[1] for r in rows], [b[0] for b in bounds], [b[1] for b in bounds])

    def __bool__(self) -> bool:
        return bool(self.contact_ids)


# For each (contact, name) bucket: that contact's open enrollments with an undone product-task step of that
# name in their version; for each, the earliest event of the bucket's days matching every pair of the step's
# event_match (a property missing, JSON null, an object or an array never matches, as in mismatches()).
# %(since)s/%(until)s are constants around all buckets (partition pruning); the per-bucket bounds make each
# lateral look-up a short range of the (tenant, occurred_at) index (the events table has no contact index on
# purpose: it would cost every ingested event).
_COMPLETE_SQL = """
WITH buckets AS (
    SELECT * FROM unnest(%(contacts)s::bigint[], %(names)s::text[], %(firsts)s::timestamptz[],
                         %(lasts)s::timestamptz[]) AS b(contact_id, event_name, since, until)
), waiting AS (
    SELECT e.id AS enrollment_id, e.enrolled_at, s.id AS step_id, s.event_match, b.contact_id, b.event_name,
           b.since, b.until
    FROM buckets b
    JOIN learning_enrollment e ON e.tenant_id = %(tenant)s AND e.contact_id = b.contact_id
                              AND e.status IN ('enrolled', 'started')
    JOIN learning_step s ON s.tenant_id = e.tenant_id AND s.version_id = e.version_id
                        AND s.kind = 'product_task' AND s.event_name = b.event_name
    WHERE NOT EXISTS (SELECT 1 FROM learning_stepprogress p
                      WHERE p.tenant_id = e.tenant_id AND p.enrollment_id = e.id AND p.step_id = s.id)
), found AS (
    SELECT w.enrollment_id, w.enrolled_at, w.step_id, w.event_match, ev.*
    FROM waiting w
    CROSS JOIN LATERAL (
        SELECT u.event_id, u.name, u.occurred_at, u.properties FROM health_usage_event u
        WHERE u.tenant_id = %(tenant)s AND u.occurred_at >= %(since)s AND u.occurred_at < %(until)s
          AND u.occurred_at >= w.since AND u.occurred_at < w.until
          AND u.contact_id = w.contact_id AND u.name = w.event_name
          AND NOT EXISTS (
              SELECT 1 FROM jsonb_each_text(w.event_match) m(key, value)
              WHERE jsonb_typeof(u.properties -> m.key) IS NULL
                 OR jsonb_typeof(u.properties -> m.key) IN ('object', 'array', 'null')
                 OR u.properties ->> m.key <> m.value)
        ORDER BY u.occurred_at, u.event_id
        LIMIT 1) ev
)
INSERT INTO learning_stepprogress (tenant_id, enrollment_id, step_id, done_at, evidence, attempts)
SELECT %(tenant)s, f.enrollment_id, f.step_id, GREATEST(f.occurred_at, f.enrolled_at),
       jsonb_build_object(
           'kind', 'event', 'event_id', f.event_id, 'event_name', f.name, 'occurred_at', to_jsonb(f.occurred_at),
           'properties', (SELECT coalesce(jsonb_object_agg(m.key, f.properties -> m.key), '{}'::jsonb)
                          FROM jsonb_object_keys(f.event_match) m(key))),
       0
FROM found f
-- A (contact, name) may come in several buckets (several batches of a chunk): the earliest event goes in first.
ORDER BY f.enrollment_id, f.step_id, f.occurred_at, f.event_id
ON CONFLICT (tenant_id, enrollment_id, step_id) DO NOTHING
RETURNING enrollment_id
"""


def complete_from_buckets(*, tenant: Tenant, buckets: Buckets) -> list[int]:
    """Complete the product-task steps that events in ``buckets`` satisfy, in one statement, then refresh the
    enrollments' status; answers the ids of the enrollments that got progress. Idempotent (the unique
    (enrollment, step) and ``ON CONFLICT DO NOTHING``): a rerun completes nothing twice."""
    if not buckets:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_COMPLETE_SQL, {
            "tenant": tenant.pk, "contacts": buckets.contact_ids, "names": buckets.event_names,
            "firsts": buckets.since, "lasts": buckets.until,
            "since": min(buckets.since), "until": max(buckets.until)})
        enrollment_ids = sorted({row[0] for row in cursor.fetchall()})
        if enrollment_ids:
            from learning.progress import refresh_status  # progress -> services -> this module's callers

            refresh_status(tenant=tenant, enrollment_ids=enrollment_ids)
    return enrollment_ids


def complete_after_merge(*, tenant: Tenant, buckets: Buckets) -> list[int]:
    """The merge's hook (after its chunk commits, in the tenant's scope): never raises, because the batches
    are merged whatever happens here; a failure is logged and the sweep (:func:`catch_up`) completes later."""
    try:
        return complete_from_buckets(tenant=tenant, buckets=buckets)
    except Exception:
        log.exception("learning: completing product tasks after a usage merge of tenant %s failed", tenant.pk)
        return []


_WAITING_CONTACTS_SQL = """
SELECT DISTINCT e.contact_id, c.account_id, s.event_name
FROM learning_enrollment e
JOIN accounts_contact c ON c.tenant_id = e.tenant_id AND c.id = e.contact_id
JOIN learning_step s ON s.tenant_id = e.tenant_id AND s.version_id = e.version_id AND s.kind = 'product_task'
WHERE e.tenant_id = %(tenant)s AND e.status IN ('enrolled', 'started') {contacts}
  AND NOT EXISTS (SELECT 1 FROM learning_stepprogress p
                  WHERE p.tenant_id = e.tenant_id AND p.enrollment_id = e.id AND p.step_id = s.id)
ORDER BY 1, 3
"""

_SEEN_DAYS_SQL = """
SELECT r.contact_id, r.event_name, min(r.day), max(r.day)
FROM health_usage_rollups r
WHERE r.tenant_id = %(tenant)s AND r.account_id = ANY(%(accounts)s::bigint[])
  AND r.contact_id = ANY(%(contacts)s::bigint[]) AND r.event_name = ANY(%(names)s::text[])
GROUP BY 1, 2
"""

# Contacts per catch-up statement: the arrays stay small and each transaction short.
CATCH_UP_CHUNK = 2000


def catch_up(*, tenant: Tenant, contact_ids: Sequence[int] | None = None) -> list[int]:
    """Complete the product tasks these contacts' (all waiting contacts', when None) open enrollments wait for
    with events sent before: their history, not a batch. Three statements per :data:`CATCH_UP_CHUNK` contacts
    (who waits for what, on which days they sent those names per the rollups, the insert), then the status.
    Answers the enrollments that got progress."""
    if contact_ids is not None and not contact_ids:
        return []
    with connection.cursor() as cursor:
        if contact_ids is None:
            cursor.execute(_WAITING_CONTACTS_SQL.format(contacts=""), {"tenant": tenant.pk})
        else:
            cursor.execute(_WAITING_CONTACTS_SQL.format(contacts="AND e.contact_id = ANY(%(ids)s::bigint[])"),
                           {"tenant": tenant.pk, "ids": sorted(set(contact_ids))})
        waiting = cursor.fetchall()
    done: list[int] = []
    contacts = sorted({row[0] for row in waiting})
    for start in range(0, len(contacts), CATCH_UP_CHUNK):
        chunk = set(contacts[start:start + CATCH_UP_CHUNK])
        rows = [row for row in waiting if row[0] in chunk]
        with connection.cursor() as cursor:
            cursor.execute(_SEEN_DAYS_SQL, {
                "tenant": tenant.pk, "accounts": sorted({r[1] for r in rows}), "contacts": sorted(chunk),
                "names": sorted({r[2] for r in rows})})
            wanted = {(r[0], r[2]) for r in rows}
            seen = [row for row in cursor.fetchall() if (row[0], row[1]) in wanted]
        done += complete_from_buckets(tenant=tenant, buckets=Buckets.of_days(seen, tenant))
    return done
