"""Writes of background jobs beyond the import that runs them (``accounts.imports``): housekeeping, and the
jobs of other apps (created and advanced here, so they write no accounts model themselves)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

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


def create_job(*, tenant: Tenant, kind: str, input_text: str = "", created_by: AbstractBaseUser | None = None) -> Job:
    """A queued job of ``kind`` (other apps' background jobs: the health recompute) whose task reads its
    request from ``input_text``; an anonymous user is no author."""
    return Job.objects.create(tenant=tenant, kind=kind, input_text=input_text,
                              created_by=created_by if created_by is not None and created_by.is_authenticated
                              else None)


def update_job(job: Job, **changes: Any) -> Job:
    """Write the job's ``state``, ``done``, ``total`` or ``result`` (progress while it runs, its end); one UPDATE
    of those columns only, so the polling page never reads a half-written row."""
    allowed = {"state", "done", "total", "result"}
    if not changes or set(changes) - allowed:
        raise ValueError(f"update_job changes only {sorted(allowed)}")
    for name, value in changes.items():
        setattr(job, name, value)
    job.save(update_fields=[*changes, "updated_at"])
    return job
