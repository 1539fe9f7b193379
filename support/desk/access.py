"""Access helpers for the desk's own objects (DESIGN.md rule 4): one tenant's object, or the same 404.
Tickets, agents and interactions are fetched through support.records.access."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from support.models import Callback, Macro


def get_macro_for_tenant(tenant: Tenant, *, pk: int) -> Macro:
    return fetch_one(Macro.objects.filter(tenant=tenant), "macro", pk=pk)


def get_callback_for_tenant(tenant: Tenant, *, pk: int | None = None, external_id: str | None = None) -> Callback:
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    return fetch_one(Callback.objects.filter(tenant=tenant).select_related("contact__account", "ticket"), "callback",
                     **lookup)
