"""Retention of raw usage events per tenant; rollups are kept."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tenancy import tenant_scope
from health.usage import tasks
from health.usage.models import UsageEvent
from health.usage.services import partitions
from health.usage.services import retention as services
from health.usage.services.ingest import ingest_events
from health.usage.services.partitions import partition_name
from health.usage.services.retention import (
    DEFAULT_RETENTION_DAYS,
    drop_expired_usage_partitions,
    purge_expired_usage_events,
    usage_retention_days,
)
from tests.health.conftest import event, partition_exists, rollups

pytestmark = pytest.mark.django_db

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _load(world, ages_in_days: list[float]) -> None:
    items = [event(f"age-{age}", occurred_at=(NOW - dt.timedelta(days=age)).isoformat()) for age in ages_in_days]
    with tenant_scope(world.tenant):
        assert ingest_events(tenant=world.tenant, items=items).accepted == len(items)


def _ages(world) -> list[str]:
    with tenant_scope(world.tenant):
        return sorted(UsageEvent.objects.values_list("event_id", flat=True))


def _set_retention(world, days) -> None:
    world.tenant.settings = {**world.tenant.settings, "usage_retention_days": days}
    world.tenant.save(update_fields=["settings"])


def test_the_setting_and_its_default(world_a):
    assert usage_retention_days(world_a.tenant) == DEFAULT_RETENTION_DAYS == 730
    _set_retention(world_a, 90)
    assert usage_retention_days(world_a.tenant) == 90
    for bad in (0, -5, "90", 1.5, True, None):
        _set_retention(world_a, bad)
        assert usage_retention_days(world_a.tenant) == DEFAULT_RETENTION_DAYS


def test_purge_deletes_only_that_tenants_old_rows_and_keeps_rollups(world_a, world_b):
    ages = [400, 200, 100.5, 99.5, 10]
    _load(world_a, ages)
    _load(world_b, ages)
    a_rollups, b_rollups = rollups(world_a), rollups(world_b)
    _set_retention(world_a, 100)
    with tenant_scope(world_a.tenant):
        assert purge_expired_usage_events(tenant=world_a.tenant, now=NOW) == 3
    assert _ages(world_a) == ["age-10", "age-99.5"]
    assert len(_ages(world_b)) == 5  # B's retention is the default two years
    assert rollups(world_a) == a_rollups and rollups(world_b) == b_rollups
    with tenant_scope(world_a.tenant):
        assert purge_expired_usage_events(tenant=world_a.tenant, now=NOW) == 0  # idempotent


def test_the_boundary_partition_loses_only_rows_before_the_cutoff(world_a):
    start = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
    items = [event(f"d{d}", occurred_at=(start + dt.timedelta(days=d)).isoformat()) for d in (0, 14, 15, 29)]
    with tenant_scope(world_a.tenant):
        ingest_events(tenant=world_a.tenant, items=items)
        _set_retention(world_a, 100)
        cutoff_now = start + dt.timedelta(days=15 + 100)  # cutoff = June 16th 00:00
        assert purge_expired_usage_events(tenant=world_a.tenant, now=cutoff_now) == 2
    assert _ages(world_a) == ["d15", "d29"]


def test_task_fans_out_and_the_tenant_task_purges(world_a, world_b, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.purge_usage_events, "delay", queued.append)
    assert tasks.enforce_usage_retention() >= 2
    assert {world_a.tenant.pk, world_b.tenant.pk} <= set(queued)
    _load(world_a, [800, 5])
    assert tasks.purge_usage_events(world_a.tenant.pk) == 1
    assert _ages(world_a) == ["age-5"]


def test_partitions_are_dropped_once_empty_and_older_than_the_longest_retention(world_a, world_b):
    _load(world_a, [3000, 2000])
    _load(world_b, [2000])
    old, older = (partition_name(partitions.month_of(NOW - dt.timedelta(days=d))) for d in (2000, 3000))
    _set_retention(world_a, 30)
    with tenant_scope(world_a.tenant):
        purge_expired_usage_events(tenant=world_a.tenant, now=NOW)
    dropped = drop_expired_usage_partitions(now=NOW)
    assert older in dropped and old not in dropped  # B still has a row in it
    assert not partition_exists(older) and partition_exists(old)
    assert partition_exists(partition_name(partitions.month_of(NOW)))
    # A tenant keeping ten years protects even empty old partitions from being dropped.
    _set_retention(world_b, 3650)
    _load(world_a, [2500])
    kept = partition_name(partitions.month_of(NOW - dt.timedelta(days=2500)))
    with tenant_scope(world_a.tenant):
        purge_expired_usage_events(tenant=world_a.tenant, now=NOW)
    assert kept not in services.drop_expired_usage_partitions(now=NOW)
    assert partition_exists(kept)


def test_drop_task_runs(world_a):
    assert isinstance(tasks.drop_expired_usage_partitions(), list)
