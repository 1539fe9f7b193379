"""The learning app's one way from an id in a URL to a row (DESIGN.md tenancy rule 4): always within the
request's tenant, 404 otherwise."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from learning.models import Enrollment, LearningPath


def get_path_for_tenant(tenant: Tenant, *, pk: int) -> LearningPath:
    return fetch_one(LearningPath.objects.filter(tenant=tenant), "learning path", pk=pk)


def get_enrollment_for_tenant(tenant: Tenant, *, pk: int) -> Enrollment:
    return fetch_one(Enrollment.objects.filter(tenant=tenant).select_related("contact", "path"), "enrollment",
                     pk=pk)
