"""Access helper of CSM tasks (DESIGN.md rule 4): this tenant's task or the same 404 as a missing one."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from accounts.worklist.models import CsmTask


def get_task_for_tenant(tenant: Tenant, *, pk: int) -> CsmTask:
    return fetch_one(CsmTask.objects.filter(tenant=tenant).select_related("account", "assignee"), "task", pk=pk)
