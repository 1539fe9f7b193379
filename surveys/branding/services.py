"""Writes of survey logos (keyword-only, typed, atomic): set (replacing any previous one) and remove."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from surveys.branding.images import inspect
from surveys.branding.models import SurveyLogo

if TYPE_CHECKING:
    from accounts.models import Tenant
    from surveys.models import Survey


@transaction.atomic
def set_logo(*, tenant: Tenant, survey: Survey, data: bytes, by: AbstractBaseUser | None) -> SurveyLogo:
    """Store ``data`` as the survey's logo; :class:`surveys.branding.images.ImageError` if it is not an
    accepted image (nothing written)."""
    info = inspect(data)
    values = {"content_type": info.content_type, "data": data, "size": len(data), "width": info.width,
              "height": info.height, "digest": hashlib.sha256(data).hexdigest(), "key": secrets.token_hex(16),
              "uploaded_at": timezone.now(), "uploaded_by": by}
    logo, _created = SurveyLogo.objects.update_or_create(tenant=tenant, survey=survey, defaults=values)
    return logo


@transaction.atomic
def remove_logo(*, tenant: Tenant, survey: Survey) -> bool:
    deleted, _ = SurveyLogo.objects.filter(tenant=tenant, survey=survey).delete()
    return bool(deleted)
