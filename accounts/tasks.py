"""Celery tasks of the accounts app: thin, taking ``(tenant_id, ids...)`` and calling a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.access import get_job_for_tenant
from accounts.imports import run_import
from accounts.services import jobs as job_services
from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task

FINISHED_JOB_PAYLOAD_DAYS = 7


@shared_task(name="accounts.tasks.prune_finished_jobs")
def prune_finished_jobs() -> int:
    """Fan out one task per tenant, so each runs in its own scope."""
    return fan_out_per_tenant(prune_job_payloads)


@shared_task(name="accounts.tasks.prune_job_payloads")
@tenant_task
def prune_job_payloads(tenant_id: int) -> int:
    """Uploaded CSV text is only needed while its job runs; drop it a week after the job ended."""
    cutoff = timezone.now() - timedelta(days=FINISHED_JOB_PAYLOAD_DAYS)
    return job_services.prune_job_payloads(tenant=current_tenant(), finished_before=cutoff)


@shared_task(name="accounts.tasks.run_csv_import")
@tenant_task
def run_csv_import(tenant_id: int, job_id: int) -> dict:
    """Process one uploaded CSV (accounts or contacts); the job row carries the file and the report."""
    tenant = current_tenant()
    job = get_job_for_tenant(tenant, pk=job_id)
    if job.finished:
        return job.result  # a late redelivery of a job that already ran to its end
    return run_import(tenant=tenant, job=job).result
