"""Fetch-and-check helper of campaigns (DESIGN.md tenancy rule 4): another tenant's is a 404 like a missing one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.access import fetch_one
from surveys.models import Campaign

if TYPE_CHECKING:
    from accounts.models import Tenant


def get_campaign_for_tenant(tenant: Tenant, *, pk: int) -> Campaign:
    return fetch_one(Campaign.objects.filter(tenant=tenant).select_related("survey", "created_by", "started_by",
                                                                           "paused_by"), "campaign", pk=pk)
