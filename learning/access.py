"""From an enrollment id in a URL to its row (DESIGN.md tenancy rule 4): always within the request's tenant,
404 otherwise. Paths, versions, steps and images: learning.paths.access."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from learning.models import Enrollment


def get_enrollment_for_tenant(tenant: Tenant, *, pk: int) -> Enrollment:
    return fetch_one(Enrollment.objects.filter(tenant=tenant).select_related("contact", "path"), "enrollment",
                     pk=pk)
