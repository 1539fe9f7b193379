"""Celery tasks of the SLA: warnings and breaches, recorded per tenant.

Task names keep the paths they had before the sub-domain packages (``support.tasks.*``): queued
messages and beat entries name them."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from support.sla import services


@shared_task(name="support.tasks.check_sla_all_tenants")
def check_sla_all_tenants() -> int:
    return fan_out_per_tenant(check_sla)


@shared_task(name="support.tasks.check_sla")
@tenant_task
def check_sla(tenant_id: int) -> dict:
    result = services.check_sla(tenant=current_tenant())
    return {"warnings": result.warnings, "breaches": result.breaches}
