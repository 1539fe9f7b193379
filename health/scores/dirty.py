"""The dirty flag of the soon-after-changes recompute (issue 14): writers of a score's inputs mark the
accounts they touched; a batch task (health.scores.tasks) recomputes the marked accounts soon after.

``mark_dirty`` is the one entry point other apps call (events merged, tickets, survey answers, learning
completions, subscription periods). It is one set-based statement whatever the number of accounts, and a
no-op for an account already marked (ON CONFLICT DO NOTHING keeps its earlier ``marked_at``), so a hot
writer never piles rows up or contends on one row for long.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from accounts.models import Tenant


def mark_dirty(*, tenant: Tenant, account_ids: Iterable[int]) -> int:
    """Mark ``account_ids`` of ``tenant`` for a recompute soon; answers how many were newly marked.
    Ids of accounts that do not exist (or are the other tenant's) are skipped, never an error."""
    ids = sorted({int(i) for i in account_ids if i is not None})
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO health_recomputedirty (tenant_id, account_id, marked_at)
                SELECT %s, a.id, %s FROM accounts_customeraccount a
                 WHERE a.tenant_id = %s AND a.id = ANY(%s)
                ON CONFLICT (tenant_id, account_id) DO NOTHING""",
            [tenant.pk, timezone.now(), tenant.pk, ids])
        return cursor.rowcount


__all__ = ["mark_dirty"]  # the table is health.RecomputeDirty's (health_recomputedirty)
