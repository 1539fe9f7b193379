"""Repair of rows stored outside ``cs_platform.bounds``' window before the bounds fix (issue 10).

The columns are discovered from the models: every ``DateTimeField`` and ``DateField`` of every
tenant-owned model (``accounts.tenancy.TenantOwnedModel``), and every ``FloatField`` (the one kind of
number column that can hold a value past the range we accept: PostgreSQL refuses an integer past its
column's range, a decimal past its precision, but stores ``Infinity``, ``NaN`` and 1e300 in a
``double precision``). A new model is covered without anyone listing it.

Work is per tenant, inside ``tenant_scope(tenant)`` and through the models' scoped managers (row-level
security shows a query outside a scope nothing), one transaction per tenant.

Product decision (``manage.py repair_out_of_window``, README "Management commands"):
- a nullable column's value outside the window becomes NULL: "unknown" is what such a value meant;
- a required one is clamped to the nearest edge of the window (2000-01-01T00:00Z or now + 3653 days;
  for numbers -INT4_MAX or INT4_MAX, NaN counting as above the top, as PostgreSQL orders it): the
  record and its history are kept, and every read of it works again (a timestamp in year 9999 broke
  every page that shifts it into a tenant's time zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Tenant
from accounts.tenancy import TenantOwnedModel, tenant_scope
from cs_platform import bounds


@dataclass(frozen=True)
class WindowColumn:
    model: type[models.Model]
    field: models.Field

    @property
    def label(self) -> str:
        return f"{self.model._meta.db_table}.{self.field.column}"

    def edges(self, now: dt.datetime) -> tuple[Any, Any]:
        if isinstance(self.field, models.DateTimeField):
            return bounds.EARLIEST, bounds.latest(now)
        if isinstance(self.field, models.DateField):
            return bounds.EARLIEST_DATE, bounds.latest_date(now.date())
        return float(-bounds.INT4_MAX), float(bounds.INT4_MAX)


def window_columns() -> list[WindowColumn]:
    """Every time, date and float column of every tenant-owned model."""
    kinds = (models.DateTimeField, models.DateField, models.FloatField)
    return [
        WindowColumn(model, f)
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and not model._meta.proxy and model._meta.managed
        for f in model._meta.concrete_fields
        if isinstance(f, kinds)
    ]


@dataclass
class ColumnReport:
    tenant: str
    column: WindowColumn
    below: list[int] = field(default_factory=list)  # ids of the rows before / under the window
    above: list[int] = field(default_factory=list)
    action: str = ""  # what --apply did: "set to NULL" or "clamped to ..."

    @property
    def ids(self) -> list[int]:
        return sorted(self.below + self.above)


def _outside(column: WindowColumn, now: dt.datetime) -> tuple[list[int], list[int]]:
    low, high = column.edges(now)
    name, manager = column.field.name, column.model.objects
    below = list(manager.filter(**{f"{name}__lt": low}).order_by("pk").values_list("pk", flat=True))
    above = list(manager.filter(**{f"{name}__gt": high}).order_by("pk").values_list("pk", flat=True))
    return below, above


def _repair(column: WindowColumn, report: ColumnReport, now: dt.datetime) -> None:
    low, high = column.edges(now)
    name, manager = column.field.name, column.model.objects
    if column.field.null:
        manager.filter(pk__in=report.ids).update(**{name: None})
        report.action = "set to NULL"
        return
    manager.filter(pk__in=report.below).update(**{name: low})
    manager.filter(pk__in=report.above).update(**{name: high})
    report.action = f"clamped to {low} / {high}" if report.below and report.above else (
        f"clamped to {low}" if report.below else f"clamped to {high}")


def repair_tenant(*, tenant: Tenant, columns: list[WindowColumn], apply: bool,
                  now: dt.datetime | None = None, progress=None) -> list[ColumnReport]:
    """The columns of ``tenant`` holding values outside the window (only those), repaired with ``apply``
    in one transaction: all of the tenant's repairs or none."""
    now = now or timezone.now()
    reports = []
    # The transaction first: a scope that sets the database's tenant setting for the transaction (row-level
    # security) then holds for all of the tenant's queries.
    with transaction.atomic(), tenant_scope(tenant):
        for column in columns:
            below, above = _outside(column, now)
            if below or above:
                report = ColumnReport(tenant.slug, column, below, above)
                if apply:
                    _repair(column, report, now)
                reports.append(report)
            if progress is not None:
                progress.update(1)
    return reports


def tenants(slug: str | None = None) -> Iterator[Tenant]:
    queryset = Tenant.objects.order_by("slug")
    yield from (queryset.filter(slug=slug) if slug else queryset)
