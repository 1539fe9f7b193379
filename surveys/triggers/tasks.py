"""Beat-driven tasks of the survey triggers: thin, taking ``(tenant_id)``; the fan-out only enqueues one
task per tenant (accounts.tenancy.fan_out_per_tenant), so each tenant's sweep runs in its own scope."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from surveys.triggers.campaigns import run_campaigns
from surveys.triggers.resolution import schedule_resolved_tickets


@shared_task(name="surveys.triggers.schedule_csat_all_tenants")
def schedule_csat_all_tenants() -> int:
    return fan_out_per_tenant(schedule_csat)


@shared_task(name="surveys.triggers.schedule_csat")
@tenant_task
def schedule_csat(tenant_id: int) -> int:
    return schedule_resolved_tickets(tenant=current_tenant(), now=timezone.now())


@shared_task(name="surveys.triggers.run_campaigns_all_tenants")
def run_campaigns_all_tenants() -> int:
    return fan_out_per_tenant(run_tenant_campaigns)


@shared_task(name="surveys.triggers.run_campaigns")
@tenant_task
def run_tenant_campaigns(tenant_id: int) -> int:
    return run_campaigns(tenant=current_tenant(), now=timezone.now())
