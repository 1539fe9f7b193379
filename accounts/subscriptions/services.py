"""Every write of subscription periods (DESIGN.md: keyword-only, typed, atomic).

``upsert_subscriptions`` is the bulk upsert of ``POST /api/v1/subscriptions/bulk``: each item validated alone
(accounts.subscriptions.inputs), the account resolved by its external id, a date turned into the tenant's local
midnight, an inverted period refused naming ``ends_at``; every valid item written in one transaction, upserted by
``external_id`` (an item equal to the stored row is a duplicate and writes nothing). The accounts whose periods
were created or changed (and the former account of a period that moved) are marked for the soon-after-changes
health recompute in the same transaction, so a rolled-back batch marks nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from accounts.models import Tenant
from accounts.selectors import account_ids_by_external_id
from accounts.services.upserts import _write
from accounts.subscriptions.inputs import SubscriptionItem
from accounts.subscriptions.models import SubscriptionPeriod
from cs_platform.bulk import BulkResult, validate_batch
from health.scores.dirty import mark_dirty

PERIOD_FIELDS = ("account_id", "starts_at", "ends_at", "arr", "seats", "plan", "kind")


def _instant(tenant: Tenant, value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time.min, tzinfo=tenant.zone).astimezone(dt.UTC)


def _prepare(tenant: Tenant, clean: dict[int, dict], result: BulkResult) -> dict[int, dict]:
    accounts = account_ids_by_external_id(tenant=tenant, external_ids=[d["account"] for d in clean.values()])
    prepared = {}
    for index, data in clean.items():
        account_id = accounts.get(data.pop("account"))
        if account_id is None:
            result.reject(index, [{"field": "account", "message": "no account of this tenant has this external_id"}])
            continue
        starts_at, ends_at = _instant(tenant, data["starts_at"]), _instant(tenant, data["ends_at"])
        if ends_at <= starts_at:
            result.reject(index, [{"field": "ends_at", "message": "must be after starts_at (the end is exclusive)"}])
            continue
        prepared[index] = {**data, "account_id": account_id, "starts_at": starts_at, "ends_at": ends_at,
                           "plan": data.get("plan", "").strip(), "kind": data.get("kind", "") or ""}
    return prepared


def _touched_accounts(tenant: Tenant, prepared: dict[int, dict]) -> set[int]:
    """Accounts of the items that will create or change a row, plus a changed row's former account (one
    query): read before the write, which keeps no old values."""
    stored = {row["external_id"]: row for row in SubscriptionPeriod.objects.filter(
        tenant=tenant, external_id__in=[v["external_id"] for v in prepared.values()]).values(
        "external_id", *PERIOD_FIELDS)}
    touched: set[int] = set()
    for values in prepared.values():
        row = stored.get(values["external_id"])
        if row is None or any(row[name] != values[name] for name in PERIOD_FIELDS):
            touched.add(values["account_id"])
            if row is not None:
                touched.add(row["account_id"])
    return touched


@transaction.atomic
def upsert_subscriptions(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    """Upsert subscription periods by ``external_id`` (API.md's bulk shape); idempotent."""
    result = BulkResult()
    prepared = _prepare(tenant, validate_batch(SubscriptionItem, items, result), result)
    if not prepared:
        return result
    touched = _touched_accounts(tenant, prepared)
    _write(SubscriptionPeriod, tenant, prepared, PERIOD_FIELDS, result)
    mark_dirty(tenant=tenant, account_ids=touched)
    return result
