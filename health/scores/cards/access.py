"""Access helper for scorecards (DESIGN.md rule 4): one tenant's scorecard, or the same 404."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from health.scores.models import Scorecard


def get_scorecard_for_tenant(tenant: Tenant, *, pk: int) -> Scorecard:
    return fetch_one(Scorecard.objects.filter(tenant=tenant).select_related("current_version"), "scorecard", pk=pk)
