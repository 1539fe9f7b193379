"""Reads of the learning emails for the settings page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from learning.emails.models import LearningPolicy

if TYPE_CHECKING:
    from accounts.models import Tenant


def policy(*, tenant: Tenant) -> LearningPolicy:
    """The tenant's policy with who changed it, or (never saved) an unsaved one with the defaults: reading the
    settings page writes nothing."""
    found = LearningPolicy.objects.filter(tenant=tenant).select_related("updated_by").first()
    return found or LearningPolicy(tenant=tenant)
