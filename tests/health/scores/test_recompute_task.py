"""The recompute job: progress per chunk, the job's rows, a redelivered finished job, the nightly fan-out's
per-tenant task, and the task run by a real Celery worker from the broker."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal

import pytest

from accounts.models import Job
from accounts.selectors import tenant_today
from accounts.services.jobs import update_job
from accounts.tenancy import tenant_scope
from health.scores import jobs
from health.scores.jobs import JOB_KIND, run_recompute, start_recompute
from health.scores.models import HealthScore
from health.scores.tasks import recompute_health, recompute_health_nightly
from tests.test_celery_worker import real_worker, wait_for

D = dt.date(2026, 3, 10)


def _job(tenant, days, account_ids=None) -> Job:
    with tenant_scope(tenant):
        return Job.objects.create(tenant=tenant, kind=JOB_KIND, input_text=json.dumps(
            {"days": [d.isoformat() for d in days], "account_ids": account_ids}))


def _rows(tenant) -> set[tuple[int, dt.date]]:
    with tenant_scope(tenant):
        return set(HealthScore.objects.values_list("account_id", "day"))


def test_the_job_advances_per_chunk_and_ends_done_with_its_rows(world_a, world_b, monkeypatch):
    tenant = world_a.tenant
    job = _job(tenant, [D, D - dt.timedelta(days=1)])
    seen = []
    save = Job.save

    def spy(self, *args, **kwargs):
        seen.append((self.state, self.done, self.total))
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Job, "save", spy)
    with tenant_scope(tenant):
        run_recompute(tenant=tenant, job=job, chunk=1)
        job.refresh_from_db()
    # 3 accounts x 2 days; one chunk of one account and one day (1 row) at a time.
    assert seen == [("running", 0, 6), *[("running", n, 6) for n in range(1, 7)], ("done", 6, 6)]
    assert (job.state, job.done, job.total, job.percent) == ("done", 6, 6, 100)
    assert job.result == {"written": 6, "accounts": 3, "days": ["2026-03-09", "2026-03-10"]}
    assert len(_rows(tenant)) == 6
    assert _rows(world_b.tenant) == set()


def test_a_job_of_some_accounts_writes_theirs_and_a_rerun_rewrites_the_same_rows(world_a):
    tenant = world_a.tenant
    chosen = world_a.accounts[1].pk
    job = _job(tenant, [D], [chosen])
    with tenant_scope(tenant):
        run_recompute(tenant=tenant, job=job)
        first = list(HealthScore.objects.values_list("pk", "account_id", "day", "score"))
        run_recompute(tenant=tenant, job=job)  # a redelivery after a crash starts over: upserts, no duplicates
        again = list(HealthScore.objects.values_list("pk", "account_id", "day", "score"))
    assert first == again == [(first[0][0], chosen, D, first[0][3])]


def test_a_redelivered_finished_job_does_nothing(world_a):
    tenant = world_a.tenant
    job = _job(tenant, [D])
    with tenant_scope(tenant):
        Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, result={"written": 99})
    assert recompute_health(tenant.pk, job.pk) == {"written": 99}
    assert _rows(tenant) == set()


def test_start_recompute_stores_the_request_and_enqueues_after_commit(world_a, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    sent = []
    monkeypatch.setattr(recompute_health, "delay", lambda *args: sent.append(args))  # the broker is outside
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        job = start_recompute(tenant=tenant, days=[D, D, D - dt.timedelta(days=2)],
                              account_ids=[world_a.accounts[2].pk], by=None)
        assert sent == []  # not before the job row is committed
    assert sent == [(tenant.pk, job.pk)]
    assert (job.state, job.kind) == ("queued", JOB_KIND)
    assert json.loads(job.input_text) == {"days": ["2026-03-08", "2026-03-10"],
                                          "account_ids": [world_a.accounts[2].pk]}


def test_the_nightly_task_computes_yesterday_and_today_local_for_every_account(world_a, world_b):
    tenant = world_a.tenant
    assert recompute_health_nightly(tenant.pk) == 6
    today = tenant_today(tenant)
    assert {day for _, day in _rows(tenant)} == {today - dt.timedelta(days=1), today}
    assert _rows(world_b.tenant) == set()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_to_done(world_a):
    tenant = world_a.tenant
    job = _job(tenant, [D - dt.timedelta(days=1), D])
    with real_worker() as (worker, queue, read_log):
        recompute_health.apply_async(args=[tenant.pk, job.pk], queue=queue)

        def finished() -> bool:
            with tenant_scope(tenant):
                job.refresh_from_db()
            return job.finished

        wait_for(worker, finished)
        assert job.state == "done", read_log()
    assert (job.done, job.total) == (6, 6)
    assert len(_rows(tenant)) == 6


def test_a_failing_chunk_ends_the_job_failed_with_the_rows_written_before(world_a, monkeypatch):
    tenant = world_a.tenant
    job = _job(tenant, [D])
    real, calls = jobs.services.recompute, []

    def second_chunk_fails(**kwargs):
        calls.append(kwargs["account_ids"])
        if len(calls) == 2:
            raise RuntimeError("worker lost its database")
        return real(**kwargs)

    monkeypatch.setattr(jobs.services, "recompute", second_chunk_fails)
    with tenant_scope(tenant), pytest.raises(RuntimeError):
        run_recompute(tenant=tenant, job=job, chunk=2)  # one day: chunks of accounts [0, 1], then [2]
    with tenant_scope(tenant):
        job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("failed", 2, 3)
    assert job.result == {"error": "worker lost its database", "written": 2}
    assert len(_rows(tenant)) == 2  # the first chunk stays committed


def test_update_job_writes_only_the_progress_columns(world_a):
    job = _job(world_a.tenant, [D])
    with tenant_scope(world_a.tenant), pytest.raises(ValueError, match="update_job"):
        update_job(job, input_text="")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_committed_chunks_and_a_rerun_finishes_the_job(world_a):
    """SIGKILL (no cleanup, like an OOM kill) once some chunks are committed: the job stays running with its
    rows so far; the same job run by a new worker starts over, upserts, and ends done with one row per account
    and day (none twice)."""
    tenant = world_a.tenant
    days = [D - dt.timedelta(days=n) for n in range(200)]
    job = _job(tenant, days)

    def progress() -> int:
        with tenant_scope(tenant):
            job.refresh_from_db()
        return job.done

    with real_worker() as (worker, queue, read_log):
        recompute_health.apply_async(args=[tenant.pk, job.pk], queue=queue)
        wait_for(worker, lambda: progress() >= 30)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=15)
    killed_at = progress()
    assert job.state == "running" and 30 <= killed_at < 600, read_log()
    assert len(_rows(tenant)) >= killed_at
    with real_worker() as (worker, queue, read_log):
        recompute_health.apply_async(args=[tenant.pk, job.pk], queue=queue)

        def finished() -> bool:
            progress()
            return job.finished

        wait_for(worker, finished)
        assert job.state == "done", read_log()
    assert (job.done, job.total) == (600, 600)
    assert len(_rows(tenant)) == 600
