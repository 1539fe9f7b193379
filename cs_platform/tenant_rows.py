"""One-row-per-tenant settings (the surveys' ``SurveyPolicy``, the learning emails' ``LearningPolicy``): the row
read or created with the model's defaults on first use, and replaced with who changed it. The model must have a
unique constraint on ``tenant`` and an ``updated_by`` field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError, models, transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from accounts.models import Tenant

Row = TypeVar("Row", bound=models.Model)


def row_for(model: type[Row], *, tenant: Tenant) -> Row:
    """The tenant's one row, created with the defaults on first use. Two first uses at once: the loser's insert
    waits for the winner's, fails the one-per-tenant constraint, and reads its row."""
    found = model._default_manager.filter(tenant=tenant).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return model._default_manager.create(tenant=tenant)
    except IntegrityError:
        return model._default_manager.get(tenant=tenant)


def replace_row(model: type[Row], *, tenant: Tenant, values: Mapping[str, Any],
                by: AbstractBaseUser | None) -> Row:
    """Replace the row's ``values``, recording who changed it (its ``updated_at`` is the when)."""
    with transaction.atomic():
        row = model._default_manager.select_for_update().get(pk=row_for(model, tenant=tenant).pk)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = by
        row.save()
    return row
