"""The mechanics shared by the bulk upserts of accounts and contacts: apply an item's values to a row,
and write the prepared rows in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Tenant
from cs_platform.bulk import BulkResult


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _write(model, tenant: Tenant, prepared: dict[int, dict], fields: tuple[str, ...], result: BulkResult) -> None:
    """Insert new rows and update changed ones in one ``INSERT ... ON CONFLICT DO UPDATE`` per chunk.

    Unchanged items are not written at all (they are the duplicates of a retried batch). Changed rows
    carry their stored values plus the item's, so writing every field keeps what the item omitted.
    Django's ``bulk_update`` was not used: its ``CASE WHEN`` per row made 1,000 updates take ~2 s.
    """
    existing = {
        obj.external_id: obj
        for obj in model.objects.filter(tenant=tenant, external_id__in=[v["external_id"] for v in prepared.values()])
    }
    to_write, created = [], 0
    for values in prepared.values():
        external_id = values["external_id"]
        attrs = {k: v for k, v in values.items() if k in fields}
        obj = existing.get(external_id)
        if obj is None:
            to_write.append(model(tenant=tenant, external_id=external_id, **attrs))
            created += 1
        elif _apply(obj, attrs):
            to_write.append(obj)
        else:
            result.duplicates += 1
    with transaction.atomic():
        model.objects.bulk_create(
            to_write, batch_size=1000, update_conflicts=True, unique_fields=["tenant", "external_id"],
            update_fields=[*fields, "updated_at"],
        )
    result.created += created
    result.updated += len(to_write) - created
    result.accepted += len(to_write)
