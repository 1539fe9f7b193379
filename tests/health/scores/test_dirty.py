"""The dirty flag and its batch recompute: marks made once per account and renewed, the batch that recomputes
today's scores and clears exactly what it handled, a change committed during a batch that is not lost, two
batches at once, the re-queue while a backlog waits, a deleted account's mark, a batch that dies, the beat's
fan-out to tenants with marks only, and the hook point after the recompute."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection, connections

from accounts.selectors import tenant_today
from accounts.tenancy import tenant_scope
from health.scores import services
from health.scores.dirty import mark_dirty, mark_dirty_for_contacts, tenants_with_marks
from health.scores.models import HealthScore, RecomputeDirty
from health.scores.services import DIRTY_LOCK_CLASS, recompute_dirty
from health.scores.tasks import recompute_dirty_accounts, recompute_dirty_all_tenants
from tests.test_celery_worker import real_worker, wait_for

pytestmark = pytest.mark.django_db


def marks(world) -> dict[int, object]:
    with tenant_scope(world.tenant):
        return dict(RecomputeDirty.objects.values_list("account_id", "marked_at"))


def scored(world) -> set[tuple[int, object]]:
    with tenant_scope(world.tenant):
        return set(HealthScore.objects.values_list("account_id", "day"))


def mark(world, *accounts) -> int:
    with tenant_scope(world.tenant):
        return mark_dirty(tenant=world.tenant, account_ids=[a.pk for a in accounts])


def test_mark_dirty_marks_each_account_once_renews_its_mark_and_skips_other_tenants(world_a, world_b):
    a0, a1 = world_a.accounts[:2]
    assert mark(world_a, a0, a1, a0) == 2
    first = marks(world_a)
    with tenant_scope(world_a.tenant):  # the other tenant's account and a missing id are skipped silently
        assert mark_dirty(tenant=world_a.tenant, account_ids=[world_b.accounts[0].pk, 10**12, None]) == 0
        assert mark_dirty(tenant=world_a.tenant, account_ids=[]) == 0
    assert mark(world_a, a0) == 1
    again = marks(world_a)
    assert set(again) == {a0.pk, a1.pk}
    assert again[a0.pk] > first[a0.pk]  # renewed, strictly later even within the same microsecond
    assert again[a1.pk] == first[a1.pk]
    assert marks(world_b) == {}


def test_mark_dirty_for_contacts_marks_their_accounts(world_a):
    c0, c3 = world_a.contacts[0], world_a.contacts[3]  # both of account 0
    c1 = world_a.contacts[1]
    with tenant_scope(world_a.tenant):
        assert mark_dirty_for_contacts(tenant=world_a.tenant, contact_ids=[c0.pk, c3.pk, c1.pk]) == 2
    assert set(marks(world_a)) == {world_a.accounts[0].pk, world_a.accounts[1].pk}


def test_a_batch_recomputes_today_for_the_marked_accounts_and_clears_their_marks(world_a, world_b):
    a0, a1, a2 = world_a.accounts
    mark(world_a, a0, a2)
    mark(world_b, world_b.accounts[1])
    calls = []
    original = services.after_recompute

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    with tenant_scope(world_a.tenant):
        today = tenant_today(world_a.tenant)
        services.after_recompute = spy
        try:
            batch = recompute_dirty(tenant=world_a.tenant)
        finally:
            services.after_recompute = original
    assert (batch.recomputed, batch.cleared, batch.backlog, batch.busy) == (2, 2, 0, False)
    assert scored(world_a) == {(a0.pk, today), (a2.pk, today)}
    assert marks(world_a) == {}
    assert calls == [{"tenant": world_a.tenant, "day": today, "account_ids": [a0.pk, a2.pk]}]
    assert set(marks(world_b)) == {world_b.accounts[1].pk} and scored(world_b) == set()
    with tenant_scope(world_a.tenant):
        assert recompute_dirty(tenant=world_a.tenant) == services.DirtyBatch()  # nothing marked: nothing done


def test_a_full_batch_leaves_a_backlog_and_the_task_requeues_itself(world_a, monkeypatch):
    a0, a1, a2 = world_a.accounts
    for account in (a2, a0, a1):  # oldest mark first, whatever the ids
        mark(world_a, account)
    monkeypatch.setattr(services, "DIRTY_BATCH", 2)
    sent = []
    monkeypatch.setattr(recompute_dirty_accounts, "delay", lambda *args: sent.append(args))
    assert recompute_dirty_accounts(world_a.tenant.pk) == 2
    assert set(marks(world_a)) == {a1.pk}
    assert {account for account, _ in scored(world_a)} == {a2.pk, a0.pk}
    assert sent == [(world_a.tenant.pk,)]  # a backlog: again at once
    assert recompute_dirty_accounts(world_a.tenant.pk) == 1
    assert marks(world_a) == {} and sent == [(world_a.tenant.pk,)]  # done: no re-queue


def test_a_mark_of_an_account_deleted_meanwhile_goes_without_a_score(world_a):
    a0, a1, _ = world_a.accounts
    mark(world_a, a0, a1)
    with tenant_scope(world_a.tenant):
        a1.delete()  # its mark goes with it (cascade)
    assert set(marks(world_a)) == {a0.pk}
    with tenant_scope(world_a.tenant):
        assert recompute_dirty(tenant=world_a.tenant).recomputed == 1
    assert {account for account, _ in scored(world_a)} == {a0.pk}


def test_a_mark_read_by_a_batch_whose_account_is_gone_is_cleared_without_a_score(world_a, monkeypatch):
    a0, a1, _ = world_a.accounts
    mark(world_a, a0, a1)
    real = services.recompute

    def account_deleted_after_the_marks_were_read(**kwargs):
        type(a1).objects.filter(pk=a1.pk).delete()
        return real(**kwargs)

    monkeypatch.setattr(services, "recompute", account_deleted_after_the_marks_were_read)
    with tenant_scope(world_a.tenant):
        batch = recompute_dirty(tenant=world_a.tenant)
    assert (batch.recomputed, batch.backlog) == (1, 0)
    assert marks(world_a) == {}
    assert {account for account, _ in scored(world_a)} == {a0.pk}


def test_a_batch_that_dies_mid_way_leaves_every_mark_and_no_score(world_a, monkeypatch):
    """A worker killed mid-batch: the batch's one transaction never commits; the next run redoes it."""
    mark(world_a, *world_a.accounts)

    def killed(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "after_recompute", killed)  # after the scores were written, before the clear
    with tenant_scope(world_a.tenant), pytest.raises(SystemExit):
        recompute_dirty(tenant=world_a.tenant)
    assert set(marks(world_a)) == {a.pk for a in world_a.accounts}
    assert scored(world_a) == set()
    monkeypatch.undo()
    with tenant_scope(world_a.tenant):
        assert recompute_dirty(tenant=world_a.tenant).recomputed == 3
    assert marks(world_a) == {}


def test_the_beat_fans_out_to_the_tenants_with_marks_only(world_a, world_b, monkeypatch):
    sent = []
    monkeypatch.setattr(recompute_dirty_accounts, "delay", lambda *args: sent.append(args))
    assert tenants_with_marks() == [] and recompute_dirty_all_tenants() == 0
    mark(world_b, world_b.accounts[0])
    assert recompute_dirty_all_tenants() == 1
    assert sent == [(world_b.tenant.pk,)]


def test_the_nightly_task_calls_the_hook_for_every_account(world_a, monkeypatch):
    from health.scores import tasks

    calls = []
    monkeypatch.setattr(tasks, "after_recompute", lambda **kwargs: calls.append(kwargs))
    tasks.recompute_health_nightly(world_a.tenant.pk)
    with tenant_scope(world_a.tenant):
        today = tenant_today(world_a.tenant)
    assert calls == [{"tenant": world_a.tenant, "day": today, "account_ids": None}]  # None: every account


def test_bad_limit_is_refused(world_a):
    with tenant_scope(world_a.tenant), pytest.raises(ValueError, match="limit"):
        recompute_dirty(tenant=world_a.tenant, limit=0)


# --- two connections ---------------------------------------------------------------------------------------


def in_thread(world, work) -> threading.Thread:
    """``work()`` in the tenant's scope on a thread of its own (its own connection, closed after)."""

    def run():
        try:
            with tenant_scope(world.tenant):
                work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_batch_recomputes_keeps_its_mark(world_a, monkeypatch):
    """The batch has read the marks and is computing; a writer marks the same account and commits. The batch's
    clear must not delete the renewed mark: the score it wrote may predate the change."""
    a0, a1, _ = world_a.accounts
    mark(world_a, a0, a1)
    computing, resume = threading.Event(), threading.Event()
    real = services.recompute

    def slow_recompute(**kwargs):
        written = real(**kwargs)
        computing.set()
        assert resume.wait(30)
        return written

    monkeypatch.setattr(services, "recompute", slow_recompute)
    result, writer = [], []
    worker = in_thread(world_a, lambda: result.append(recompute_dirty(tenant=world_a.tenant)))
    try:
        assert computing.wait(30)
        # The writer's own transaction, committed while the batch is still open.
        in_thread(world_a, lambda: writer.append(mark(world_a, a0))).join(30)
        assert writer == [1]  # not blocked: the batch locks no mark until its clear
    finally:
        resume.set()
        worker.join(30)
    assert result and (result[0].recomputed, result[0].cleared) == (2, 1)
    assert set(marks(world_a)) == {a0.pk}  # a1 cleared; a0's renewed mark survived for the next batch


@pytest.mark.django_db(transaction=True)
def test_a_second_batch_at_once_skips_and_processes_nothing(world_a):
    mark(world_a, *world_a.accounts)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DIRTY_LOCK_CLASS, world_a.tenant.pk])
        with tenant_scope(world_a.tenant):
            assert recompute_dirty(tenant=world_a.tenant) == services.DirtyBatch(busy=True)
        assert len(marks(world_a)) == 3 and scored(world_a) == set()
        with other.cursor() as cursor:
            cursor.execute("COMMIT")
    finally:
        other.close()
    with tenant_scope(world_a.tenant):
        assert recompute_dirty(tenant=world_a.tenant).recomputed == 3
    assert marks(world_a) == {}


def _batch_holds_its_lock(tenant_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
                       "AND granted", [DIRTY_LOCK_CLASS, tenant_id])
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_killed_mid_batch_leaves_the_marks_and_the_next_run_redoes_them(world_a):
    """SIGKILL (no cleanup) while a real worker's batch is inside its transaction (held there by the recompute
    lock another connection keeps): no score is written, every mark stays; the next batch does them all."""
    mark(world_a, *world_a.accounts)
    tenant = world_a.tenant
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [services.RECOMPUTE_LOCK_CLASS, tenant.pk])
        with real_worker() as (worker, queue, read_log):
            recompute_dirty_accounts.apply_async(args=[tenant.pk], queue=queue)
            wait_for(worker, lambda: _batch_holds_its_lock(tenant.pk))
            assert _batch_holds_its_lock(tenant.pk), read_log()
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
        with other.cursor() as cursor:
            cursor.execute("COMMIT")
    finally:
        other.close()
    # The killed worker's backend notices its client is gone once its lock wait ends, and rolls back.
    deadline = time.monotonic() + 30
    while _batch_holds_its_lock(tenant.pk) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(marks(world_a)) == 3 and scored(world_a) == set()
    assert recompute_dirty_accounts(tenant.pk) == 3
    assert marks(world_a) == {}
