"""Monthly partitions of the events table: made ahead, made on demand, dropped only when empty."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tenancy import tenant_scope
from health.usage import tasks
from health.usage.services import partitions
from health.usage.services.ingest import ingest_events
from health.usage.services.partitions import (
    ensure_partitions,
    ensure_partitions_ahead,
    existing_partitions,
    partition_name,
)
from tests.health.conftest import event, partition_exists

pytestmark = pytest.mark.django_db


def test_names_and_bounds():
    assert partition_name(dt.date(2024, 2, 1)) == "health_usage_event_p202402"
    assert partitions.month_bounds(dt.date(2024, 12, 1)) == (dt.datetime(2024, 12, 1, tzinfo=dt.UTC),
                                                             dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    # The month is the UTC month: late evening of Jan 31 in New York is already February.
    new_york = dt.timezone(dt.timedelta(hours=-5))
    assert partitions.month_of(dt.datetime(2024, 1, 31, 20, tzinfo=new_york)) == dt.date(2024, 2, 1)


def test_ahead_makes_this_month_and_the_next_two_across_a_year_end():
    created = ensure_partitions_ahead(today=dt.date(2031, 11, 20))
    assert created == ["health_usage_event_p203111", "health_usage_event_p203112", "health_usage_event_p203201"]
    assert ensure_partitions_ahead(today=dt.date(2031, 11, 20)) == []  # idempotent
    assert {dt.date(2031, 11, 1), dt.date(2031, 12, 1), dt.date(2032, 1, 1)} <= set(existing_partitions())


def test_the_migration_made_the_current_months():
    assert partitions.month_of(dt.datetime.now(dt.UTC)) in existing_partitions()


def test_beat_task_creates_partitions(monkeypatch):
    monkeypatch.setattr(partitions, "MONTHS_AHEAD", 2)
    assert tasks.create_usage_partitions() == []  # the migration made them already
    assert partitions.month_of(dt.datetime.now(dt.UTC)) in existing_partitions()


def test_on_demand_for_a_batch_of_history(world_a):
    months = [dt.date(2012, m, 1) for m in (3, 4)]
    with tenant_scope(world_a.tenant):
        result = ingest_events(tenant=world_a.tenant, items=[
            event("h1", occurred_at="2012-03-31T23:59:59Z"), event("h2", occurred_at="2012-04-01T00:00:00Z")])
    assert result.accepted == 2
    assert all(partition_exists(partition_name(m)) for m in months)


def test_a_month_wrongly_believed_to_exist_is_made_and_the_batch_retried(world_a):
    # As after another process's retention dropped the partition this process had cached.
    month = dt.date(2013, 5, 1)
    partitions._known_months.add(month)
    with tenant_scope(world_a.tenant):
        result = ingest_events(tenant=world_a.tenant, items=[event("r1", occurred_at="2013-05-05T00:00:00Z",
                                                                   contact="brand-new")])
    assert (result.accepted, result.contacts_created, result.rejected) == (1, 1, [])
    assert partition_exists(partition_name(month))


def test_drop_only_when_empty(world_a):
    ensure_partitions([dt.date(2014, 1, 1), dt.date(2014, 2, 1)])
    with tenant_scope(world_a.tenant):
        ingest_events(tenant=world_a.tenant, items=[event("d1", occurred_at="2014-02-10T00:00:00Z")])
    assert partitions.drop_partition(dt.date(2014, 1, 1)) is True
    assert partitions.drop_partition(dt.date(2014, 2, 1)) is False
    assert partitions.drop_partition(dt.date(2014, 3, 1)) is False  # never existed
    assert not partition_exists("health_usage_event_p201401")
    assert partition_exists("health_usage_event_p201402")
