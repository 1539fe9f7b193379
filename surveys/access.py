"""Fetch-and-check helpers (DESIGN.md tenancy rule 4): another tenant's survey is a 404 like a missing one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.access import fetch_one
from surveys.models import Survey

if TYPE_CHECKING:
    from accounts.models import Tenant


def get_survey_for_tenant(tenant: Tenant, *, pk: int) -> Survey:
    return fetch_one(Survey.objects.filter(tenant=tenant), "survey", pk=pk)
