"""A survey's logo: the image bytes themselves, checked on upload (surveys.branding.images)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from accounts.tenancy import TenantOwnedModel
from surveys.branding.images import CONTENT_TYPES, MAX_BYTES, MAX_SIDE


class SurveyLogo(TenantOwnedModel):
    """At most one per survey. ``key`` is random and new on every upload: the public URL carries it (with the
    tenant and the id), so the URL cannot be guessed from ids, and a new logo gets a new URL, which lets
    the old one be cached for a year. ``digest`` (SHA-256 of the bytes) is the ETag."""

    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    content_type = models.CharField(max_length=16, choices=[(t, t) for t in CONTENT_TYPES])
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    digest = models.CharField(max_length=64)
    key = models.CharField(max_length=32)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "survey"], name="surveys_logo_one_per_survey"),
            models.CheckConstraint(condition=Q(content_type__in=CONTENT_TYPES), name="surveys_logo_content_type"),
            # The upload checks kept by the database too: no other writer stores what the page would refuse.
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("data"), MAX_BYTES)), name="surveys_logo_size"),
            models.CheckConstraint(condition=Q(width__gte=1, width__lte=MAX_SIDE, height__gte=1, height__lte=MAX_SIDE),
                                   name="surveys_logo_dimensions"),
        ]
