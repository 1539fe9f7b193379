"""The dirty flag of the soon-after-changes recompute (issue 14): writers of a score's inputs mark the
accounts they touched; a batch task (health.scores.tasks.recompute_dirty_accounts, body
health.scores.services.recompute_dirty) recomputes the marked accounts soon after.

``mark_dirty`` is the one entry point other apps call (events merged, tickets, survey answers, learning
completions, account edits, subscription periods), inside their own transaction: one set-based statement
whatever the number of accounts.

Why a mark is *renewed* rather than left alone when the account is already marked: the batch reads the
marks, recomputes, then deletes exactly the marks it read, compared by ``marked_at``. A change committed
while the batch was recomputing may not be in the score the batch wrote; its writer renewed the mark
(``marked_at`` strictly later, even within the same microsecond), so the batch's delete no longer matches
it and the mark survives for the next batch. A writer renewing a mark the batch is deleting waits for the
batch's commit, then inserts a fresh one (PostgreSQL retries ON CONFLICT after the conflicting row goes).
Accounts are marked in id order, so two writers marking overlapping sets wait for each other, never deadlock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils import timezone

from accounts.models import Tenant
from accounts.tenancy import all_tenants
from health.scores.models import RecomputeDirty

_UPSERT = """
INSERT INTO health_recomputedirty (tenant_id, account_id, marked_at)
SELECT %(tenant)s, ids.account_id, %(now)s FROM ({accounts}) ids ORDER BY ids.account_id
ON CONFLICT (tenant_id, account_id) DO UPDATE
   SET marked_at = GREATEST(EXCLUDED.marked_at, health_recomputedirty.marked_at + interval '1 microsecond')
"""
_OF_ACCOUNTS = ("SELECT a.id AS account_id FROM accounts_customeraccount a "
                "WHERE a.tenant_id = %(tenant)s AND a.id = ANY(%(ids)s::bigint[])")
_OF_CONTACTS = ("SELECT DISTINCT c.account_id FROM accounts_contact c "
                "WHERE c.tenant_id = %(tenant)s AND c.id = ANY(%(ids)s::bigint[]) AND c.account_id IS NOT NULL")


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({int(i) for i in values if i is not None})


def _mark(tenant: Tenant, accounts_sql: str, ids: list[int]) -> int:
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(accounts=accounts_sql), {"tenant": tenant.pk, "now": timezone.now(), "ids": ids})
        return cursor.rowcount


def mark_dirty(*, tenant: Tenant, account_ids: Iterable[int]) -> int:
    """Mark ``account_ids`` of ``tenant`` for a recompute soon (new marks, or marks renewed); answers how
    many. Ids of accounts that do not exist (or are the other tenant's) are skipped, never an error."""
    return _mark(tenant, _OF_ACCOUNTS, _ids(account_ids))


def mark_dirty_for_contacts(*, tenant: Tenant, contact_ids: Iterable[int]) -> int:
    """Mark the accounts of these contacts (a writer that knows contacts, not accounts: learning)."""
    return _mark(tenant, _OF_CONTACTS, _ids(contact_ids))


def tenants_with_marks() -> list[int]:
    """Ids of the tenants with at least one mark: the every-minute beat fans out to these only. The one
    cross-tenant read of the recompute, through the named bypasses (the beat runs outside any tenant)."""
    with all_tenants("the dirty-flag beat: which tenants have accounts waiting for a recompute"):
        return list(RecomputeDirty.objects.unscoped().order_by("tenant_id").values_list("tenant_id", flat=True)
                    .distinct())


def oldest_marks(*, tenant: Tenant, limit: int) -> list[tuple[int, dt.datetime]]:
    """Up to ``limit`` ``(account_id, marked_at)`` of the tenant, oldest mark first (first marked, first done)."""
    return list(RecomputeDirty.objects.filter(tenant=tenant).order_by("marked_at", "account_id")
                .values_list("account_id", "marked_at")[:limit])


def clear_marks(*, tenant: Tenant, marks: Sequence[tuple[int, dt.datetime]]) -> int:
    """Delete exactly these marks: a mark renewed since it was read (another ``marked_at``) stays."""
    if not marks:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM health_recomputedirty d
                USING unnest(%s::bigint[], %s::timestamptz[]) AS m(account_id, marked_at)
                WHERE d.tenant_id = %s AND d.account_id = m.account_id AND d.marked_at = m.marked_at""",
            [[a for a, _ in marks], [t for _, t in marks], tenant.pk])
        return cursor.rowcount


def marks_waiting(*, tenant: Tenant, marked_before: dt.datetime) -> int:
    """How many marks of the tenant were made before ``marked_before`` (a backlog a full batch left)."""
    return RecomputeDirty.objects.filter(tenant=tenant, marked_at__lte=marked_before).count()


__all__ = ["clear_marks", "mark_dirty", "mark_dirty_for_contacts", "marks_waiting", "oldest_marks",
           "tenants_with_marks"]
