"""Writes of the feature catalog (its services: keyword-only, typed, atomic).

Kept apart from ``health/usage/services/retention.py`` (event ingestion) so the two pieces of work stay independent.
A lost race on ``(tenant, event_name)`` raises :class:`CatalogConflict`, which pages show on the form.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import Tenant
from health.usage.models import CatalogEntry

CATALOG_FIELDS = ("event_name", "feature", "category", "is_value_milestone")


class CatalogConflict(Exception):
    """Another entry of this tenant has the event name (saved meanwhile)."""


def save_catalog_entry(*, tenant: Tenant, entry: CatalogEntry) -> CatalogEntry:
    """Insert or update ``entry`` (already validated) for ``tenant``."""
    if entry.tenant_id is not None and entry.tenant_id != tenant.pk:
        raise ValueError("catalog entry of another tenant")
    entry.tenant = tenant
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise CatalogConflict(f"“{entry.event_name}” is already in the catalog") from exc
    return entry


@transaction.atomic
def delete_catalog_entry(*, tenant: Tenant, entry: CatalogEntry) -> None:
    if entry.tenant_id != tenant.pk:
        raise ValueError("catalog entry of another tenant")
    entry.delete()
