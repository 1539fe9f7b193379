"""The backtest job's Celery task: thin, a tenant id and a job id, then health.scores.backtests.jobs."""

from __future__ import annotations

from celery import shared_task

from accounts.access import get_job_for_tenant
from accounts.tenancy import current_tenant, tenant_task
from health.scores.backtests.jobs import run_backtest


@shared_task(name="health.scores.backtests.tasks.run_health_backtest")
@tenant_task
def run_health_backtest(tenant_id: int, job_id: int) -> dict:
    """Run one backtest job; a late redelivery of a job that already ended does nothing."""
    job = get_job_for_tenant(current_tenant(), pk=job_id)
    if job.finished:
        return {"state": job.state}
    return {"state": run_backtest(tenant=current_tenant(), job=job).state}
