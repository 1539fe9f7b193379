"""Celery tasks of the health scores (thin: a tenant id and a job id, then the services): the recompute
job, and the nightly beat's fan-out that recomputes yesterday and today local for every account."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accounts.access import get_job_for_tenant
from accounts.selectors import tenant_today
from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from health.scores.jobs import run_recompute
from health.scores.overrides import end_expired_overrides
from health.scores.services import recompute


@shared_task(name="health.scores.tasks.recompute_health")
@tenant_task
def recompute_health(tenant_id: int, job_id: int) -> dict:
    """Run one recompute job; a late redelivery of a job that already ended does nothing."""
    tenant = current_tenant()
    job = get_job_for_tenant(tenant, pk=job_id)
    if job.finished:
        return job.result
    return run_recompute(tenant=tenant, job=job).result


@shared_task(name="health.scores.tasks.recompute_health_all_tenants")
def recompute_health_all_tenants() -> int:
    return fan_out_per_tenant(recompute_health_nightly)


@shared_task(name="health.scores.tasks.recompute_health_nightly")
@tenant_task
def recompute_health_nightly(tenant_id: int) -> int:
    """Yesterday and today in the tenant's zone: yesterday's row is completed with the day's last data
    (the beat runs at 02:xx UTC, before or after local midnight depending on the zone), today's starts.
    No Job row: nobody watches the nightly run, and it would crowd the jobs list."""
    tenant = current_tenant()
    today = tenant_today(tenant)
    return recompute(tenant=tenant, days=[today - dt.timedelta(days=1), today])


@shared_task(name="health.scores.tasks.end_expired_overrides_all_tenants")
def end_expired_overrides_all_tenants() -> int:
    return fan_out_per_tenant(end_expired_overrides_of_tenant)


@shared_task(name="health.scores.tasks.end_expired_overrides_of_tenant")
@tenant_task
def end_expired_overrides_of_tenant(tenant_id: int) -> int:
    """Write the end of the tenant's overrides whose expiry has passed (reads already treat them as ended)."""
    return end_expired_overrides(tenant=current_tenant())
