"""Fetch-and-check of a scorecard by id (DESIGN.md tenancy rule 4): another tenant's answers 404, exactly as a
missing one."""

from __future__ import annotations

from django.http import Http404

from accounts.models import Tenant
from health.scores.models import Scorecard


def get_scorecard_for_tenant(tenant: Tenant, *, pk: int) -> Scorecard:
    found = Scorecard.objects.filter(tenant=tenant, pk=pk, current_version__isnull=False) \
        .select_related("current_version").first()
    if found is None:
        raise Http404("no such scorecard")
    return found
