"""Celery tasks of the knowledge base: deflection of sent suggestions, settled per tenant.

Task names keep the paths they had before the sub-domain packages (``support.tasks.*``): queued
messages and beat entries name them."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from support.knowledge import services as knowledge_services


@shared_task(name="support.tasks.decide_deflections_all_tenants")
def decide_deflections_all_tenants() -> int:
    return fan_out_per_tenant(decide_deflections)


@shared_task(name="support.tasks.decide_deflections")
@tenant_task
def decide_deflections(tenant_id: int) -> dict:
    deflected, not_deflected = knowledge_services.decide_deflections(tenant=current_tenant())
    return {"deflected": deflected, "not_deflected": not_deflected}
