"""Celery tasks of the closed loop: thin, taking ``tenant_id`` and calling a service."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from surveys.loop.services import sweep_follow_ups


@shared_task(name="surveys.loop.tasks.sweep_follow_ups_all_tenants")
def sweep_follow_ups_all_tenants() -> int:
    """Beat, every 10 minutes: one sweep per tenant, each in its own scope."""
    return fan_out_per_tenant(sweep_tenant_follow_ups)


@shared_task(name="surveys.loop.tasks.sweep_tenant_follow_ups")
@tenant_task
def sweep_tenant_follow_ups(tenant_id: int) -> int:
    return len(sweep_follow_ups(tenant=current_tenant()))
