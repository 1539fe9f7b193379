"""The recompute as a background job: ``start_recompute`` stores what to compute on a Job and enqueues it
after commit; ``run_recompute`` (the task's body) computes it chunk by chunk, writing progress to the Job.

Decisions: the job's request (local days, account ids) is JSON in ``Job.input_text`` (the payload a job
keeps until it ends, as the CSV import does). ``total`` counts score rows (accounts x days) and ``done``
grows after each committed chunk of accounts and day, so the polling bar moves while a long backfill runs.
A worker killed mid-run leaves the job ``running``; a redelivery (or a rerun) of the same job starts over from zero:
``recompute`` upserts on tenant + account + day, so the chunks already written are rewritten with the same
values, never duplicated. An account deleted between start and run simply drops out of its chunk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Job, Tenant
from accounts.services.jobs import create_job, update_job
from health.scores import services
from health.scores.inputs import account_ids as tenant_account_ids

JOB_KIND = "health_recompute"
JOB_CHUNK = 500


def start_recompute(*, tenant: Tenant, days: Sequence[dt.date], account_ids: Sequence[int] | None,
                    by: AbstractBaseUser | None) -> Job:
    """A queued recompute job for ``days`` and ``account_ids`` (all the tenant's accounts when None), its
    task enqueued once the job row is committed."""
    from health.scores.tasks import recompute_health

    request = {"days": sorted({d.isoformat() for d in days}),
               "account_ids": sorted(set(account_ids)) if account_ids is not None else None}
    with transaction.atomic():
        job = create_job(tenant=tenant, kind=JOB_KIND, input_text=json.dumps(request), created_by=by)
        tenant_id, job_id = tenant.pk, job.pk
        transaction.on_commit(lambda: recompute_health.delay(tenant_id, job_id))
    return job


def _request(job: Job) -> tuple[list[dt.date], list[int] | None]:
    request = json.loads(job.input_text)
    return sorted(dt.date.fromisoformat(d) for d in request["days"]), request["account_ids"]


def run_recompute(*, tenant: Tenant, job: Job, chunk: int = JOB_CHUNK) -> Job:
    """Compute the job's rows, ``done`` advancing per chunk of accounts; ends ``done`` with the rows written
    in ``result``, or ``failed`` with the error (then re-raised, so the worker logs it)."""
    days, only = _request(job)
    ids = tenant_account_ids(tenant=tenant, only=only)
    update_job(job, state=Job.State.RUNNING, total=len(ids) * len(days), done=0)
    written = 0
    try:
        for start in range(0, len(ids), chunk):
            for day in days:  # progress per chunk and day: a year's backfill of 500 accounts moves the bar too
                written += services.recompute(tenant=tenant, days=[day], account_ids=ids[start:start + chunk],
                                              chunk=chunk)
                update_job(job, done=written)
    except Exception as error:
        update_job(job, state=Job.State.FAILED, result={"error": str(error)[:500], "written": written})
        raise
    update_job(job, state=Job.State.DONE, done=written, total=written,
          result={"written": written, "accounts": len(ids), "days": [d.isoformat() for d in (days[0], days[-1])]
                  if days else []})
    return job
