"""Folding staged batches (the outbox ``UsagePending``) into the daily rollups and the contacts' seen times.

Ingestion (``health/usage/services/ingest.py``) stores a batch's events and, in the same transaction, one
``health_usagepending`` row holding that batch's rollup buckets and its contacts' first/last event times.
:func:`merge_pending_usage` folds staged rows into ``health_usagedaily`` and ``Contact.first_seen_at`` /
``last_seen_at`` and deletes them, **in one transaction per chunk**. Hence a batch is never lost nor
counted twice:

- staged with its events or not at all (one ingestion transaction);
- merged and deleted together or not at all (one merge transaction): a merge that fails midway leaves
  its rows staged for the next one;
- two merges never fold the same row: rows are claimed ``FOR UPDATE SKIP LOCKED``, and a row deleted by a
  merge that committed meanwhile is no longer returned.

Readers never wait for a merge: ``health_usage_rollups`` (migration 0005), which every selector reads,
is ``health_usagedaily`` plus the staged buckets, so figures are exact as soon as a batch commits. What
lags until a merge is the contacts' ``first_seen_at``/``last_seen_at`` (``last_seen_at`` was already
kept to a 15-minute grain; a contact first met in a batch gets both at creation, in the batch).

Merges are scheduled by ingestion after commit (:func:`schedule_merge`, at most one pending Celery task
per tenant and process) and run by ``health.tasks.merge_usage_rollups``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.db import connection, transaction

from accounts.models import Tenant
from accounts.services.contacts import record_contacts_seen
from accounts.tenancy import tenant_scope
from health.scores.dirty import mark_dirty
from learning import events as learning_events

logger = logging.getLogger(__name__)


PENDING = "health_usagepending"


ROLLUPS = "health_usagedaily"


# Batches folded per transaction: large enough that buckets recurring across batches are upserted once,
# small enough to keep the transaction (and the rows it locks) short.
MERGE_CHUNK = 50


# How long after a batch's commit its merge runs at the latest (when a worker is free).
MERGE_DELAY_SECONDS = 2.0


@dataclass
class MergeResult:
    batches: int = 0
    events: int = 0
    buckets: int = 0
    contacts_seen: int = 0


def merge_pending_usage(*, tenant: Tenant, chunk: int = MERGE_CHUNK, max_chunks: int | None = None,
                        _between_steps=None) -> MergeResult:
    """Fold ``tenant``'s staged batches into the rollups and seen times, ``chunk`` batches per transaction,
    until none are left (or ``max_chunks`` transactions ran). Safe to run concurrently and repeatedly.

    ``_between_steps`` is for tests only: called inside the transaction after the rollups are written and
    before the contacts and the deletion, to simulate a crash there.
    """
    total = MergeResult()
    done = 0
    with tenant_scope(tenant):  # the raw SQL below runs under the tenant's row-level security too
        while max_chunks is None or done < max_chunks:
            merged = _merge_chunk(tenant, chunk, _between_steps)
            done += 1
            if not merged.batches:
                break
            total.batches += merged.batches
            total.events += merged.events
            total.buckets += merged.buckets
            total.contacts_seen += merged.contacts_seen
    return total


def _merge_chunk(tenant: Tenant, chunk: int, between_steps) -> MergeResult:
    result = MergeResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT batch_id, events FROM {PENDING} WHERE tenant_id = %s ORDER BY batch_id "  # noqa: S608
            "LIMIT %s FOR UPDATE SKIP LOCKED",
            [tenant.pk, chunk],
        )
        claimed = cursor.fetchall()
        if not claimed:
            return result
        batch_ids = [row[0] for row in claimed]
        params = {"tenant": tenant.pk, "batches": batch_ids}
        # Buckets of an account or contact deleted since the batch was stored are dropped, as Django's
        # cascade would have deleted their rollup rows (the arrays carry no foreign keys). The staged buckets
        # are summed first (buckets recur across batches), then checked with hash joins: the planner cannot
        # estimate what unnest() yields and, left to itself, re-ran the unnest per account (~100x slower).
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            f"""
            WITH staged AS MATERIALIZED (
                SELECT b.account_id, b.contact_id, b.day, b.event_name, sum(b.count)::integer AS count
                FROM {PENDING} p
                CROSS JOIN LATERAL unnest(p.account_ids, p.contact_ids, p.days, p.event_names, p.counts)
                    AS b(account_id, contact_id, day, event_name, count)
                WHERE p.tenant_id = %(tenant)s AND p.batch_id = ANY(%(batches)s::uuid[])
                GROUP BY 1, 2, 3, 4
            )
            , merged AS (
                INSERT INTO {ROLLUPS} (tenant_id, account_id, contact_id, day, event_name, count)
                SELECT %(tenant)s, s.account_id, s.contact_id, s.day, s.event_name, s.count
                FROM staged s
                JOIN accounts_customeraccount a ON a.id = s.account_id AND a.tenant_id = %(tenant)s
                LEFT JOIN accounts_contact c ON c.id = s.contact_id AND c.tenant_id = %(tenant)s
                WHERE s.contact_id IS NULL OR c.id IS NOT NULL
                ORDER BY 2, 3, 4, 5
                ON CONFLICT (tenant_id, account_id, contact_id, day, event_name)
                DO UPDATE SET count = {ROLLUPS}.count + EXCLUDED.count
                RETURNING account_id
            )
            -- The accounts merged, for the health scores' dirty flag: counted from the insert's own rows,
            -- no second pass over the staged buckets.
            SELECT count(*), coalesce(array_agg(DISTINCT account_id), '{{}}') FROM merged
            """,  # noqa: S608 (table names are ours)
            params,
        )
        result.buckets, merged_accounts = cursor.fetchone()
        if between_steps is not None:
            between_steps()
        cursor.execute(
            f"""
            SELECT s.contact_id, min(s.first_at), max(s.last_at)
            FROM {PENDING} p
            CROSS JOIN LATERAL unnest(p.seen_contact_ids, p.seen_first, p.seen_last) AS s(contact_id, first_at, last_at)
            WHERE p.tenant_id = %(tenant)s AND p.batch_id = ANY(%(batches)s::uuid[])
            GROUP BY 1
            """,  # noqa: S608
            params,
        )
        seen = {contact_id: (first, last) for contact_id, first, last in cursor.fetchall()}
        result.contacts_seen = record_contacts_seen(tenant=tenant, seen=seen)
        _complete_product_tasks_on_commit(tenant, cursor, params)
        # Last in the chunk: the marks' row locks are held only until the commit that follows.
        mark_dirty(tenant=tenant, account_ids=merged_accounts)
        cursor.execute(f"DELETE FROM {PENDING} WHERE tenant_id = %(tenant)s AND batch_id = ANY(%(batches)s::uuid[])",  # noqa: S608
                       params)
        assert cursor.rowcount == len(batch_ids), "claimed rows are locked: nobody else can delete them"
    result.batches = len(batch_ids)
    result.events = sum(row[1] for row in claimed)
    return result


def _complete_product_tasks_on_commit(tenant: Tenant, cursor, params: dict) -> None:
    """Learning's product tasks done by these batches' events (``learning.events``): when open
    enrollments of the tenant wait for some event names (a cached answer: a tenant without product tasks
    pays nothing more), the chunk's buckets of those names go to learning once the merge commits. After the
    commit, and robust: completing a task never holds nor fails the merge (the sweep catches a failure)."""
    names = learning_events.waiting_event_names(tenant)
    if not names:
        return
    # Per batch and contact: the names it sent (of those waited for) and the exact time range of its events in
    # that batch (the staged seen times), so the look-up of the matching event reads seconds of the events
    # table, not days. Not merged across batches: a historical import's batches may lie months apart.
    cursor.execute(
        f"""
        WITH named AS MATERIALIZED (
            SELECT p.batch_id, b.contact_id, b.event_name
            FROM {PENDING} p
            CROSS JOIN LATERAL unnest(p.contact_ids, p.event_names) AS b(contact_id, event_name)
            WHERE p.tenant_id = %(tenant)s AND p.batch_id = ANY(%(batches)s::uuid[])
              AND b.contact_id IS NOT NULL AND b.event_name = ANY(%(names)s::text[])
        ), seen AS MATERIALIZED (
            SELECT p.batch_id, s.contact_id, s.first_at, s.last_at
            FROM {PENDING} p
            CROSS JOIN LATERAL unnest(p.seen_contact_ids, p.seen_first, p.seen_last) AS s(contact_id, first_at, last_at)
            WHERE p.tenant_id = %(tenant)s AND p.batch_id = ANY(%(batches)s::uuid[])
              AND s.contact_id IN (SELECT contact_id FROM named)
        )
        -- A hash join (nested loops are off in the merge's transaction): not buckets x contacts comparisons.
        SELECT DISTINCT n.contact_id, n.event_name, s.first_at, s.last_at
        FROM named n JOIN seen s ON s.batch_id = n.batch_id AND s.contact_id = n.contact_id
        ORDER BY 1, 2, 3
        """,  # noqa: S608
        {**params, "names": sorted(names)},
    )
    rows = cursor.fetchall()
    if not rows:
        return
    tick = dt.timedelta(microseconds=1)  # the last event's time included: ranges are [since, until)
    buckets = learning_events.Buckets([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                                    [r[3] + tick for r in rows])

    def complete() -> None:
        with tenant_scope(tenant):
            learning_events.complete_after_merge(tenant=tenant, buckets=buckets)

    transaction.on_commit(complete, robust=True)


def pending_batches(*, tenant: Tenant) -> int:
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {PENDING} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
        return cursor.fetchone()[0]


_scheduled_until: dict[int, float] = {}


_scheduled_lock = threading.Lock()


def schedule_merge(tenant_id: int) -> bool:
    """Called after a batch commits: make sure a merge of the tenant runs after this moment.

    A merge task enqueued with a countdown runs after the moment it was due; any batch committed before
    then is folded by it. So one task per tenant, process and ``MERGE_DELAY_SECONDS`` suffices (a 1,000-event
    batch every 20 ms would otherwise enqueue 50 tasks a second). Answers whether a task was enqueued.
    If the broker is down the batch stays staged (readers still see it) until the next batch's enqueue.
    """
    now = time.monotonic()
    with _scheduled_lock:
        if _scheduled_until.get(tenant_id, 0.0) > now + 0.1:
            return False
        _scheduled_until[tenant_id] = now + MERGE_DELAY_SECONDS
    from health.usage.tasks import merge_usage_rollups

    try:
        merge_usage_rollups.apply_async((tenant_id,), countdown=MERGE_DELAY_SECONDS)
    except Exception:  # the batch is stored and readable; only its merge waits for the next enqueue
        logger.exception("could not enqueue the usage rollup merge of tenant %s", tenant_id)
        with _scheduled_lock:
            _scheduled_until.pop(tenant_id, None)
        return False
    return True


def forget_scheduled_merges() -> None:
    with _scheduled_lock:
        _scheduled_until.clear()
