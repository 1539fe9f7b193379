"""The tenant's SurveyPolicy, created with the defaults on first use.

A private stand-in: the sending step owns the policy settings page and its ``policy_for``; the two are
folded into one at merge. Get-or-create under the one-per-tenant constraint, so two first uses at once
make one row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from surveys.models import SurveyPolicy

if TYPE_CHECKING:
    from accounts.models import Tenant


def policy_for(*, tenant: Tenant) -> SurveyPolicy:
    found = SurveyPolicy.objects.filter(tenant=tenant).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return SurveyPolicy.objects.create(tenant=tenant)
    except IntegrityError:  # created concurrently: theirs is the row
        return SurveyPolicy.objects.get(tenant=tenant)
