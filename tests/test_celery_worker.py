"""A real Celery worker, in its own process, runs a task from the real broker against the test database.

Tests elsewhere call task functions directly (eager mode is never on, DESIGN.md); this one proves the
wiring that those cannot: the app loads our settings, discovers the tasks, takes messages from the
configured broker (Redis in CI, the filesystem transport locally), and ``tenant_task`` enters the
tenant's scope in the worker. The worker listens on a queue of its own, so a worker left over from
another run cannot take the message, and it is stopped (with its process group) whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Job
from accounts.tasks import prune_job_payloads
from accounts.tenancy import tenant_scope
from tests.factories import TenantFactory

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 60


def database_url_of_this_test_run() -> str:
    """The URL of the database this test runs against (the test database, not the configured one)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or ""
    name = quote(db["NAME"], safe="")
    if host.startswith("/"):  # a Unix socket directory (the embedded server)
        return f"postgresql://{auth}/{name}?host={quote(host, safe='/')}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{name}"


def _old_finished_job(tenant, payload: str) -> Job:
    with tenant_scope(tenant):
        job = Job.objects.create(tenant=tenant, kind="import_accounts", state=Job.State.DONE, input_text=payload)
        # updated_at is auto_now: age it with an UPDATE, which auto_now does not touch.
        Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=30))
    return job


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=15)


@contextlib.contextmanager
def real_worker():
    """A Celery worker in its own process on a queue of its own, against this test run's database; yields
    ``(queue, read_log)``; stopped with its process group whatever happens."""
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings_test",
        "DATABASE_URL": database_url_of_this_test_run(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CS_VAR_DIR": str(settings.VAR_DIR),  # the same filesystem broker folder, when that is the broker
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile("w+", prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "cs_platform", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", queue, "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )

    def read_log() -> str:
        log.seek(0)
        return log.read()

    try:
        yield worker, queue, read_log
    finally:
        _stop(worker)
        log.close()
        os.unlink(log.name)
    assert worker.returncode is not None


def wait_for(worker: subprocess.Popen, done) -> None:
    """Poll ``done()`` until it is true, the worker dies or ``DEADLINE_SECONDS`` pass."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and worker.poll() is None and not done():
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_tenant_task_from_the_broker():
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    tenant, other = TenantFactory(slug="worker-a"), TenantFactory(slug="worker-b")
    job = _old_finished_job(tenant, "external_id,name\nacc-1,Acme\n")
    others_job = _old_finished_job(other, "external_id,name\nacc-1,Acme\n")

    with real_worker() as (worker, queue, read_log):
        prune_job_payloads.apply_async(args=[tenant.pk], queue=queue)

        def pruned() -> bool:
            job.refresh_from_db()
            return job.input_text == ""

        wait_for(worker, pruned)
        job.refresh_from_db()
        output = read_log()
        assert worker.poll() is None, f"the worker died (code {worker.returncode}):\n{output}"
        assert job.input_text == "", f"payload not pruned within {DEADLINE_SECONDS}s; worker log:\n{output}"
        assert "prune_job_payloads" in output and "succeeded" in output, output
        # The task ran in its tenant's scope: the other tenant's equally old job kept its payload.
        others_job.refresh_from_db()
        assert others_job.input_text != ""
