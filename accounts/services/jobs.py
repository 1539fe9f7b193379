"""Writes of background jobs beyond the import that runs them (``accounts.imports``): housekeeping."""

from __future__ import annotations

import datetime as dt

from accounts.models import Job, Tenant


def prune_job_payloads(*, tenant: Tenant, finished_before: dt.datetime) -> int:
    """Drop the uploaded text of jobs that ended (done or failed) before ``finished_before``; their
    report stays. Answers how many jobs were pruned. One UPDATE."""
    return (
        Job.objects.filter(tenant=tenant, state__in=[Job.State.DONE, Job.State.FAILED],
                           updated_at__lt=finished_before)
        .exclude(input_text="")
        .update(input_text="")
    )
