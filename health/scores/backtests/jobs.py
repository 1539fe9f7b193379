"""The backtest as a background job for the page: on the simulated history (1,000 accounts x 12 months) a full
computation takes tens of seconds (one inputs_as_of per distinct scoring day, ~365 of them), too long for a
request. ``start_backtest`` stores the query on a Job and enqueues the task after commit; ``run_backtest``
computes it with the progress bar moving per scoring day and keeps the API's body (health.scores.backtests.answer)
in ``Job.result`` with its query, so the page shows the latest finished one (``latest_backtest``).

The ROC stored for the page is thinned to at most ``ROC_POINTS`` points (the curve looks the same; the API
answers every point).
"""

from __future__ import annotations

import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Job, Tenant
from accounts.selectors import latest_finished_job, tenant_today
from accounts.services.jobs import create_job, update_job
from health.scores.backtests.access import get_scorecard_for_tenant
from health.scores.backtests.answer import backtest_body
from health.scores.models import Scorecard

JOB_KIND = "health_backtest"
ROC_POINTS = 400


def _query(scorecard: Scorecard | None, horizon_days: int) -> dict:
    return {"scorecard_id": scorecard.pk if scorecard else None, "horizon_days": horizon_days}


def start_backtest(*, tenant: Tenant, scorecard: Scorecard | None, horizon_days: int,
                   by: AbstractBaseUser | None) -> Job:
    from health.scores.backtests.tasks import run_health_backtest

    with transaction.atomic():
        job = create_job(tenant=tenant, kind=JOB_KIND, input_text=json.dumps(_query(scorecard, horizon_days)),
                         created_by=by)
        tenant_id, job_id = tenant.pk, job.pk
        transaction.on_commit(lambda: run_health_backtest.delay(tenant_id, job_id))
    return job


def thin(points: list, limit: int = ROC_POINTS) -> list:
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def run_backtest(*, tenant: Tenant, job: Job) -> Job:
    query = json.loads(job.input_text)
    scorecard = get_scorecard_for_tenant(tenant, pk=query["scorecard_id"]) if query["scorecard_id"] else None
    update_job(job, state=Job.State.RUNNING, done=0, total=0)

    def progress(done: int, total: int) -> None:
        update_job(job, done=done, total=total)

    try:
        body = backtest_body(tenant=tenant, scorecard=scorecard, horizon_days=query["horizon_days"],
                             today=tenant_today(tenant), progress=progress)
    except Exception as error:
        update_job(job, state=Job.State.FAILED, result={"error": str(error)[:500], "query": query})
        raise
    body["roc"] = thin(body["roc"])
    return update_job(job, state=Job.State.DONE, done=job.total, result={"query": query, "backtest": body})


def latest_backtest(*, tenant: Tenant, scorecard: Scorecard | None, horizon_days: int) -> Job | None:
    """The latest finished backtest job of this query, its body under ``result["backtest"]``."""
    return latest_finished_job(tenant=tenant, kind=JOB_KIND, matching={"query": _query(scorecard, horizon_days)})
