"""The rollup outbox (``health/usage/services/rollups.py``): a batch is staged with its events, read at once through
``health_usage_rollups``, and folded into ``health_usagedaily`` and the contacts' seen times exactly once,
whatever happens to the merge (run twice, concurrently, or failing midway)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.models import Contact
from accounts.tenancy import tenant_scope
from health.usage import tasks
from health.usage.models import CatalogEntry, UsageDaily, UsagePending
from health.usage.selectors import account_usage
from health.usage.selectors import adoption as selectors
from health.usage.selectors import catalog as catalog_selectors
from health.usage.services import rollups
from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage, pending_batches
from tests.health.conftest import event, merge, post_events
from tests.health.conftest import rollups as merged_rollups

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 1, 20)  # the tenant's local date the selectors are asked about
JAN = "2026-01-{:02d}T20:00:00Z"  # 12:00 in Los Angeles: the local day is the UTC day


def _ingest(world, items):
    with tenant_scope(world.tenant):
        result = ingest_events(tenant=world.tenant, items=items, now=dt.datetime(2026, 1, 21, tzinfo=dt.UTC))
    assert not result.rejected, result.rejected
    return result


def _staged_rollups(world) -> dict[tuple, int]:
    """What readers see: merged rollups plus staged batches, summed per bucket."""
    with world.scope(), connection.cursor() as cursor:
        cursor.execute("SELECT account_id, contact_id, day, event_name, sum(count) FROM health_usage_rollups "
                       "WHERE tenant_id = %s GROUP BY 1, 2, 3, 4", [world.tenant.pk])
        return {tuple(r[:4]): r[4] for r in cursor.fetchall()}


def _figures(world) -> dict:
    """Every selector family that reads rollups, for account acc-0."""
    account = world.accounts[0]
    with tenant_scope(world.tenant):
        adoption = selectors.account_adoption(account=account, today=TODAY)
        return {
            "adoption": vars(adoption),
            "weekly": account_usage.weekly_trend(account=account, today=TODAY),
            "features": account_usage.feature_usage(account=account, today=TODAY),
            "milestones": account_usage.milestone_reach(account=account, today=TODAY),
            "contacts": account_usage.contact_usage(adoption=adoption, account=account)[0:50],
            "unknown": catalog_selectors.unknown_event_names(tenant=world.tenant),
        }


def _usage_batches() -> list[list[dict]]:
    # Buckets recur across batches (same contact, day, name), so staged and merged parts overlap.
    first = [event(f"a{i}", contact=f"user-{i % 2 * 3}", name=("report.run", "export.csv")[i % 2],
                   occurred_at=JAN.format(10 + i % 5)) for i in range(12)]
    second = [event(f"b{i}", contact=None if i % 4 == 0 else "user-0", name=("report.run", "odd.name")[i % 2],
                    occurred_at=JAN.format(12 + i % 7)) for i in range(10)]
    return [first, second]


def test_selectors_see_a_batch_before_its_merge_exactly_as_after(world_a, world_b):
    with tenant_scope(world_a.tenant):
        CatalogEntry.objects.create(tenant=world_a.tenant, event_name="report.run", feature="Reporting",
                                    is_value_milestone=True)
        CatalogEntry.objects.create(tenant=world_a.tenant, event_name="export.csv", feature="Export")
    first, second = _usage_batches()
    _ingest(world_a, first)
    merge(world_a)
    _ingest(world_a, second)  # staged, with buckets that already have merged rows
    _ingest(world_b, first)  # another tenant's staged batch must not show in A's figures
    assert pending_batches(tenant=world_a.tenant) == 1
    before = _figures(world_a)
    staged_view = _staged_rollups(world_a)
    merge(world_a)
    assert pending_batches(tenant=world_a.tenant) == 0
    assert pending_batches(tenant=world_b.tenant) == 1  # untouched: merges are per tenant
    assert _figures(world_a) == before
    assert _staged_rollups(world_a) == staged_view
    assert sum(staged_view.values()) == 22
    assert before["adoption"]["events_in_window"] == 22


def test_merge_twice_counts_once(world_a):
    for batch in _usage_batches():
        _ingest(world_a, batch)
    first = merge_pending_usage(tenant=world_a.tenant)
    assert (first.batches, first.events) == (2, 22)
    once = merged_rollups(world_a, merge=False)
    again = merge_pending_usage(tenant=world_a.tenant)
    assert (again.batches, again.events) == (0, 0)
    assert merged_rollups(world_a, merge=False) == once
    assert sum(once.values()) == 22


def test_a_retried_batch_after_its_merge_is_not_counted_again(world_a):
    batch = _usage_batches()[0]
    _ingest(world_a, batch)
    merge(world_a)
    assert _ingest(world_a, batch).duplicates == len(batch)
    assert pending_batches(tenant=world_a.tenant) == 0  # an all-duplicate batch stages nothing
    assert sum(merged_rollups(world_a).values()) == len(batch)


def test_a_merge_failing_midway_leaves_everything_staged(world_a):
    _ingest(world_a, [event("x1", occurred_at=JAN.format(15)), event("x2", occurred_at=JAN.format(18))])
    contact = world_a.contacts[0]

    def crash():
        # The rollups are written at this point (in the merge's transaction): they must vanish with it.
        assert UsageDaily.objects.unscoped().filter(tenant=world_a.tenant).exists()
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError, match="worker killed"):
        merge_pending_usage(tenant=world_a.tenant, _between_steps=crash)
    assert merged_rollups(world_a, merge=False) == {}
    assert pending_batches(tenant=world_a.tenant) == 1
    contact.refresh_from_db()
    assert contact.last_seen_at is None
    assert sum(_staged_rollups(world_a).values()) == 2  # readers still see the batch
    merge(world_a)
    assert merged_rollups(world_a, merge=False) == {("acc-0", "user-0", dt.date(2026, 1, 15), "report.viewed"): 1,
                                                     ("acc-0", "user-0", dt.date(2026, 1, 18), "report.viewed"): 1}
    contact.refresh_from_db()
    assert (contact.first_seen_at, contact.last_seen_at) == (dt.datetime(2026, 1, 15, 20, tzinfo=dt.UTC),
                                                             dt.datetime(2026, 1, 18, 20, tzinfo=dt.UTC))


def test_buckets_of_a_contact_deleted_before_the_merge_are_dropped(world_a):
    _ingest(world_a, [event("k1"), event("k2", contact="user-1", account="acc-1"), event("k3", contact=None)])
    with tenant_scope(world_a.tenant):
        world_a.contacts[1].delete()
    merge(world_a)
    assert merged_rollups(world_a, merge=False) == {("acc-0", "user-0", dt.date(2026, 1, 15), "report.viewed"): 1,
                                                     ("acc-0", None, dt.date(2026, 1, 15), "report.viewed"): 1}


def test_the_task_merges_its_tenant_only(world_a, world_b):
    _ingest(world_a, _usage_batches()[0])
    _ingest(world_b, _usage_batches()[0])
    assert tasks.merge_usage_rollups(world_a.tenant.pk) == 1
    assert pending_batches(tenant=world_a.tenant) == 0
    assert pending_batches(tenant=world_b.tenant) == 1
    assert tasks.merge_usage_rollups(world_a.tenant.pk) == 0


def test_ingestion_schedules_one_merge_per_window_after_commit(world_a, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.merge_usage_rollups, "apply_async",
                        lambda args, countdown: sent.append((args, countdown)))
    rollups.forget_scheduled_merges()
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_events(world_a, [event("s1")])
            post_events(world_a, [event("s2")])
            post_events(world_a, [event("s1")])  # all duplicates: nothing staged, nothing to schedule
        assert len([c for c in callbacks if "_store" in c.__qualname__]) == 2
        assert sent == [((world_a.tenant.pk,), rollups.MERGE_DELAY_SECONDS)]  # the second falls in its window
        rollups._scheduled_until[world_a.tenant.pk] = 0.0  # the window has passed
        with django_capture_on_commit_callbacks(execute=True):
            post_events(world_a, [event("s3")])
        assert len(sent) == 2
    finally:
        rollups.forget_scheduled_merges()


def test_a_failed_enqueue_is_retried_by_the_next_batch(world_a, monkeypatch, django_capture_on_commit_callbacks):
    calls = []

    def broker_down(args, countdown):
        calls.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.merge_usage_rollups, "apply_async", broker_down)
    rollups.forget_scheduled_merges()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert post_events(world_a, [event("f1")]).status_code == 200  # stored all the same
            post_events(world_a, [event("f2")])
        assert len(calls) == 2
    finally:
        rollups.forget_scheduled_merges()
    assert pending_batches(tenant=world_a.tenant) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_merges_fold_every_batch_exactly_once(world_a):
    # Overlapping buckets across 12 batches, merged by 4 threads at once, one batch per transaction.
    batches = [[event(f"c{b}-{i}", contact=f"user-{i % 2 * 3}", name=f"n{i % 3}", occurred_at=JAN.format(10 + i % 4))
                for i in range(30)] for b in range(12)]
    for batch in batches:
        _ingest(world_a, batch)
    expected = _staged_rollups(world_a)
    errors, merged = [], []

    def worker():
        try:
            merged.append(merge_pending_usage(tenant=world_a.tenant, chunk=1).batches)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(merged) == 12
    assert pending_batches(tenant=world_a.tenant) == 0
    with world_a.scope(), connection.cursor() as cursor:
        cursor.execute("SELECT account_id, contact_id, day, event_name, count FROM health_usagedaily "
                       "WHERE tenant_id = %s", [world_a.tenant.pk])
        assert {tuple(r[:4]): r[4] for r in cursor.fetchall()} == expected
    assert sum(expected.values()) == 360


@pytest.mark.django_db(transaction=True)
def test_a_merge_skips_batches_another_merge_holds(world_a):
    # Disjoint buckets and contacts per batch, so the two merges never wait on each other's rows.
    for b in range(4):
        _ingest(world_a, [event(f"d{b}-{i}", contact=f"new-{b}", name=f"only-{b}", occurred_at=JAN.format(10 + i))
                          for i in range(3)])
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def slow_merge():
        def pause():
            holding.set()
            assert release.wait(30)

        try:
            outcome["slow"] = merge_pending_usage(tenant=world_a.tenant, chunk=2, max_chunks=1, _between_steps=pause)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_merge)
    thread.start()
    try:
        assert holding.wait(30)
        quick = merge_pending_usage(tenant=world_a.tenant)  # must not wait for, nor take, the held two
        assert (quick.batches, quick.events) == (2, 6)
        assert pending_batches(tenant=world_a.tenant) == 2
    finally:
        release.set()
        thread.join(30)
    assert (outcome["slow"].batches, outcome["slow"].events) == (2, 6)
    assert pending_batches(tenant=world_a.tenant) == 0
    with world_a.scope(), connection.cursor() as cursor:
        assert not UsagePending.objects.exists()
        cursor.execute("SELECT event_name, sum(count) FROM health_usagedaily WHERE tenant_id = %s GROUP BY 1",
                       [world_a.tenant.pk])
        assert dict(cursor.fetchall()) == {f"only-{b}": 3 for b in range(4)}
    with tenant_scope(world_a.tenant):
        seen = dict(Contact.objects.filter(external_id__startswith="new-").values_list("external_id", "last_seen_at"))
    assert seen == {f"new-{b}": dt.datetime(2026, 1, 12, 20, tzinfo=dt.UTC) for b in range(4)}


def test_the_safety_net_fans_out_one_merge_per_tenant(world_a, world_b, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.merge_usage_rollups, "delay", lambda tenant_id: sent.append(tenant_id))
    assert tasks.merge_all_usage_rollups() == len(sent)
    assert {world_a.tenant.pk, world_b.tenant.pk} <= set(sent)
