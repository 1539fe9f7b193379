"""Celery tasks of the health scores (thin: a tenant id and a job id, then the services): the recompute
job, the nightly beat's fan-out that recomputes yesterday and today local for every account, and the
every-minute beat of the dirty flag that recomputes, soon after a change, the accounts marked since."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accounts.access import get_job_for_tenant
from accounts.selectors import tenant_today
from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from health.scores.dirty import tenants_with_marks
from health.scores.jobs import run_recompute
from health.scores.overrides import end_expired_overrides
from health.scores.services import after_recompute, recompute, recompute_dirty


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
    written = recompute(tenant=tenant, days=[today - dt.timedelta(days=1), today])
    after_recompute(tenant=tenant, day=today, account_ids=None)
    return written


@shared_task(name="health.scores.tasks.recompute_dirty_all_tenants")
def recompute_dirty_all_tenants() -> int:
    """The every-minute beat: one batch task per tenant that has marks (most minutes, few or none)."""
    tenant_ids = tenants_with_marks()
    for tenant_id in tenant_ids:
        recompute_dirty_accounts.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="health.scores.tasks.recompute_dirty_accounts")
@tenant_task
def recompute_dirty_accounts(tenant_id: int) -> int:
    """One batch of the tenant's marked accounts; re-queued at once while older marks wait (a backlog
    larger than a batch), while marks renewed during the batch wait for the next minute's beat (a busy
    account is recomputed at most about once a minute, not in a loop)."""
    batch = recompute_dirty(tenant=current_tenant())
    if batch.backlog:
        recompute_dirty_accounts.delay(tenant_id)
    return batch.recomputed


@shared_task(name="health.scores.tasks.end_expired_overrides_all_tenants")
def end_expired_overrides_all_tenants() -> int:
    return fan_out_per_tenant(end_expired_overrides_of_tenant)


@shared_task(name="health.scores.tasks.end_expired_overrides_of_tenant")
@tenant_task
def end_expired_overrides_of_tenant(tenant_id: int) -> int:
    """Write the end of the tenant's overrides whose expiry has passed (reads already treat them as ended)."""
    return end_expired_overrides(tenant=current_tenant())
