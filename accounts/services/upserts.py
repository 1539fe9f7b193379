"""The mechanics shared by the bulk upserts of accounts and contacts: apply an item's values to a row,
and write the prepared rows in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Tenant
from cs_platform.bulk import BulkResult


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _watched_changes(model, tenant: Tenant, prepared: dict[int, dict], watched: Collection[str]) -> list[int]:
    """Ids of the existing rows that these items will change in one of the ``watched`` fields (one query, and
    none when no item carries such a field): read before the write, as the write keeps no old values."""
    touching = {v["external_id"]: v for v in prepared.values() if any(name in v for name in watched)}
    if not touching:
        return []
    rows = model.objects.filter(tenant=tenant, external_id__in=list(touching)).values("pk", "external_id", *watched)
    return sorted(row["pk"] for row in rows
                  if any(name in touching[row["external_id"]] and touching[row["external_id"]][name] != row[name]
                         for name in watched))


def _write(model, tenant: Tenant, prepared: dict[int, dict], fields: tuple[str, ...], result: BulkResult) -> list[int]:
    """Insert new rows and update changed ones in one transaction; answers the ids of the rows inserted.

    Unchanged items are not written at all (they are the duplicates of a retried batch). Changed rows
    carry their stored values plus the item's, so writing every field keeps what the item omitted; they
    go in one ``INSERT ... ON CONFLICT DO UPDATE`` per chunk (Django's ``bulk_update`` was not used: its
    ``CASE WHEN`` per row made 1,000 updates take ~2 s).

    New rows go in a plain ``INSERT`` of their own (in external_id order, so that two batches creating
    the same rows wait for each other rather than deadlock), so that what is answered as created was
    created by this call and no other: the contacts' "new contact" hook relies on it. When a concurrent request created
    one of them first, the insert fails; the batch is then read and classified once more, and that row
    becomes an update or a duplicate.
    """
    external_ids = [v["external_id"] for v in prepared.values()]
    for attempt in range(2):
        existing = {obj.external_id: obj for obj in model.objects.filter(tenant=tenant, external_id__in=external_ids)}
        new, changed, duplicates = [], [], 0
        for values in prepared.values():
            external_id = values["external_id"]
            attrs = {k: v for k, v in values.items() if k in fields}
            obj = existing.get(external_id)
            if obj is None:
                new.append(model(tenant=tenant, external_id=external_id, **attrs))
            elif _apply(obj, attrs):
                changed.append(obj)
            else:
                duplicates += 1
        new.sort(key=lambda obj: obj.external_id)
        try:
            with transaction.atomic():
                model.objects.bulk_create(new, batch_size=1000)
                model.objects.bulk_create(
                    changed, batch_size=1000, update_conflicts=True, unique_fields=["tenant", "external_id"],
                    update_fields=[*fields, "updated_at"],
                )
        except IntegrityError:
            if attempt:
                raise
            continue  # created meanwhile by another request: classify again against what it wrote
        break
    result.created += len(new)
    result.updated += len(changed)
    result.accepted += len(new) + len(changed)
    result.duplicates += duplicates
    return [obj.pk for obj in new]
