"""Helpers of the usage-ingestion tests."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from accounts.tenancy import tenant_scope
from health.usage.models import UsageDaily, UsageEvent
from health.usage.services.rollups import merge_pending_usage

BULK_URL = "/api/v1/events/bulk"


def event(event_id: str, *, account: str = "acc-0", contact: str | None = "user-0", name: str = "report.viewed",
          occurred_at: str = "2026-01-15T12:00:00Z", **extra) -> dict:
    item = {"event_id": event_id, "account": account, "name": name, "occurred_at": occurred_at, **extra}
    if contact is not None:
        item["contact"] = contact
    return item


def post_events(world, items, *, ndjson: bool = False, raw_key: str | None = None):
    if ndjson:
        body = "\n".join(json.dumps(i) for i in items)
        return world.api(raw_key).post(BULK_URL, data=body, content_type="application/x-ndjson")
    return world.api(raw_key).post(BULK_URL, data=json.dumps(items), content_type="application/json")


def stored_events(world) -> list[tuple]:
    with tenant_scope(world.tenant):
        return list(UsageEvent.objects.order_by("event_id").values_list("event_id", "account__external_id",
                                                                        "contact__external_id", "name"))


def rollups(world, *, merge: bool = True) -> dict[tuple, int]:
    """The tenant's daily rollups, after folding its staged batches in (``merge=False``: as merged so far)."""
    with tenant_scope(world.tenant):
        if merge:
            merge_pending_usage(tenant=world.tenant)
        rows = UsageDaily.objects.values_list("account__external_id", "contact__external_id", "day", "event_name",
                                              "count")
        return {tuple(r[:4]): r[4] for r in rows}


def merge(world) -> None:
    """Fold the tenant's staged batches into the rollups and the contacts' seen times (the merge task's work)."""
    with tenant_scope(world.tenant):
        merge_pending_usage(tenant=world.tenant)


def partition_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        return cursor.fetchone()[0] is not None


@pytest.fixture(autouse=True)
def _fresh_partition_cache():
    # Each test runs in a transaction rolled back at its end: partitions it made disappear with it.
    from health.usage.services import partitions

    partitions.forget_known_partitions()
    yield
    partitions.forget_known_partitions()
