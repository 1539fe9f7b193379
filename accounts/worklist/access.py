"""Access helper of CSM tasks (DESIGN.md rule 4): this tenant's task or the same 404 as a missing one."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from accounts.worklist.models import CsmTask


def get_task_for_tenant(tenant: Tenant, *, pk: int) -> CsmTask:
    tasks = CsmTask.objects.filter(tenant=tenant).select_related("account", "contact", "assignee", "done_by",
                                                                 "created_by")
    return fetch_one(tasks, "task", pk=pk)
