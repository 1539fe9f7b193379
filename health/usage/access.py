"""Access helpers for health objects (DESIGN.md rule 4): one tenant's object, or the same 404."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from health.usage.models import CatalogEntry


def get_catalogentry_for_tenant(tenant: Tenant, *, pk: int) -> CatalogEntry:
    return fetch_one(CatalogEntry.objects.filter(tenant=tenant), "catalog entry", pk=pk)
