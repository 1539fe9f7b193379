"""Celery tasks of the accounts app: thin, taking ``(tenant_id, ids...)`` and calling a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import Job, Tenant
from accounts.tenancy import tenant_task

FINISHED_JOB_PAYLOAD_DAYS = 7


@shared_task(name="accounts.tasks.prune_finished_jobs")
def prune_finished_jobs() -> int:
    """Fan out one task per tenant, so each runs in its own scope."""
    tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        prune_job_payloads.delay(tenant_id)
    return len(tenant_ids)


@shared_task(name="accounts.tasks.prune_job_payloads")
@tenant_task
def prune_job_payloads(tenant_id: int) -> int:
    """Uploaded CSV text is only needed while its job runs; drop it a week after the job ended."""
    cutoff = timezone.now() - timedelta(days=FINISHED_JOB_PAYLOAD_DAYS)
    return (
        Job.objects.filter(state__in=[Job.State.DONE, Job.State.FAILED], updated_at__lt=cutoff)
        .exclude(input_text="")
        .update(input_text="")
    )
