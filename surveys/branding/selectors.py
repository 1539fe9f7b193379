"""Reads of survey logos: the one of a survey (bytes left out), and the public lookup by id and key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from cs_platform.web.images import keyed_row
from surveys.branding.models import SurveyLogo

if TYPE_CHECKING:
    from accounts.models import Tenant
    from surveys.models import Survey

META = ("pk", "tenant_id", "survey_id", "content_type", "size", "width", "height", "digest", "key", "uploaded_at",
        "uploaded_by_id")


def logo_of(*, tenant: Tenant, survey: Survey) -> SurveyLogo | None:
    return SurveyLogo.objects.filter(tenant=tenant, survey=survey).only(*META).first()


def public_path(*, tenant: Tenant, logo: SurveyLogo) -> str:
    return reverse("survey-logo-file", args=[tenant.slug, logo.pk, logo.key])


def public_logo(*, tenant: Tenant, pk: int, key: str) -> SurveyLogo | None:
    """The logo with its bytes when ``key`` is its key (compared in constant time), else None."""
    return keyed_row(SurveyLogo.objects.filter(tenant=tenant), pk=pk, key=key)
