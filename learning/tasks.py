"""Celery tasks of the learning app: thin, taking ``(tenant_id, ids)`` and calling a service (DESIGN.md rule 5)."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from learning import events as learning_events


@shared_task(name="learning.tasks.catch_up_product_tasks")
@tenant_task
def catch_up_product_tasks(tenant_id: int, contact_ids: list[int]) -> int:
    """Contacts just enrolled: their product tasks done by events sent before (``learning.events``).
    Answers how many enrollments got progress."""
    return len(learning_events.catch_up(tenant=current_tenant(), contact_ids=contact_ids))


@shared_task(name="learning.tasks.sweep_product_tasks")
@tenant_task
def sweep_product_tasks(tenant_id: int) -> int:
    """Every waiting contact of the tenant: what a failed or lost post-merge completion missed."""
    return len(learning_events.catch_up(tenant=current_tenant()))


@shared_task(name="learning.tasks.sweep_product_tasks_all_tenants")
def sweep_product_tasks_all_tenants() -> int:
    return fan_out_per_tenant(sweep_product_tasks)
