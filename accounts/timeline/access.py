"""Access helper of the notes (DESIGN.md rule 4): this tenant's note or the same 404 as a missing one."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from accounts.timeline.models import AccountNote


def get_note_for_tenant(tenant: Tenant, *, pk: int) -> AccountNote:
    return fetch_one(AccountNote.objects.filter(tenant=tenant).select_related("account"), "note", pk=pk)
