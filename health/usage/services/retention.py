"""Retention of usage events, and the partitions the events need (DESIGN.md: keyword-only, typed, atomic).

- :func:`create_usage_partitions` makes this month's partition and the next two (beat, daily).
- Retention. Each tenant keeps its raw events for ``Tenant.settings["usage_retention_days"]`` days
  (default :data:`DEFAULT_RETENTION_DAYS`, two years; a whole number >= 1, anything else means the
  default). :func:`purge_expired_usage_events` deletes one tenant's older events, partition by
  partition; :func:`drop_expired_usage_partitions` then drops the partitions no tenant has rows in that
  lie wholly before the longest retention of any tenant.
  **Rollups are kept**: ``UsageDaily`` is the usage history that adoption metrics and health scores
  read, and it is small; only the raw events go. The idempotency keys (``UsageEventKey``) stay too, so
  that a late retry of an old batch is still a duplicate instead of being counted again in the rollups.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction

from accounts.models import Tenant
from accounts.selectors import tenants_with_settings
from health.usage.services import partitions

logger = logging.getLogger(__name__)




DEFAULT_RETENTION_DAYS = 730


RETENTION_SETTING = "usage_retention_days"


def usage_retention_days(tenant: Tenant) -> int:
    value = (tenant.settings or {}).get(RETENTION_SETTING, DEFAULT_RETENTION_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        logger.warning("tenant %s: %s=%r is not a whole number >= 1; using %s days",
                       tenant.pk, RETENTION_SETTING, value, DEFAULT_RETENTION_DAYS)
        return DEFAULT_RETENTION_DAYS
    return value


def create_usage_partitions(*, today: dt.date | None = None) -> list[str]:
    """This UTC month's partition and the next two (earlier months are made on demand by ingestion)."""
    return partitions.ensure_partitions_ahead(today=today)


def purge_expired_usage_events(*, tenant: Tenant, now: dt.datetime | None = None) -> int:
    """Delete ``tenant``'s raw events older than its retention; answers how many were deleted.

    A partition wholly before the cutoff loses all of the tenant's rows (``WHERE tenant_id = ...``, served
    by the (tenant, occurred_at) index); the partition holding the cutoff loses those before it. One
    transaction per partition keeps locks short; a run stopped midway is finished by the next one.
    Rollups are not touched (see the module docstring).
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=usage_retention_days(tenant))
    deleted = 0
    for month, name in sorted(partitions.existing_partitions().items()):
        start, end = partitions.month_bounds(month)
        if start >= cutoff:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            if end <= cutoff:
                cursor.execute(f'DELETE FROM "{name}" WHERE tenant_id = %s', [tenant.pk])  # noqa: S608
            else:
                cursor.execute(f'DELETE FROM "{name}" WHERE tenant_id = %s AND occurred_at < %s',  # noqa: S608
                               [tenant.pk, cutoff])
            deleted += cursor.rowcount
    return deleted


def drop_expired_usage_partitions(*, now: dt.datetime | None = None) -> list[str]:
    """Drop the partitions that end before the longest retention of any tenant and hold no rows any more
    (each tenant's purge empties them first); answers the names dropped. Cross-tenant maintenance."""
    longest = max([usage_retention_days(t) for t in tenants_with_settings()],
                  default=DEFAULT_RETENTION_DAYS)
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=longest)
    dropped = []
    for month, name in sorted(partitions.existing_partitions().items()):
        if partitions.month_bounds(month)[1] > cutoff:
            break
        if partitions.drop_partition(month, only_if_empty=True):
            dropped.append(name)
    return dropped
