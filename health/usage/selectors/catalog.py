"""Reads of the feature catalog: its entries, and the event names seen in the rollups that it does not
classify yet (for the admin to classify)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from accounts.models import Tenant
from health.usage.models import CatalogEntry

UNKNOWN_EVENTS_LIMIT = 200


def catalog_entries(*, tenant: Tenant) -> list[CatalogEntry]:
    return list(CatalogEntry.objects.filter(tenant=tenant).order_by("feature", "event_name", "pk"))


@dataclass(frozen=True)
class UnknownEvent:
    event_name: str
    events: int
    accounts: int
    last_day: dt.date


_UNKNOWN_EVENTS_SQL = """
SELECT ud.event_name, SUM(ud.count), COUNT(DISTINCT ud.account_id), MAX(ud.day)
FROM health_usage_rollups ud
WHERE ud.tenant_id = %(tenant)s AND ud.count > 0
  AND NOT EXISTS (
      SELECT 1 FROM health_catalogentry ce WHERE ce.tenant_id = ud.tenant_id AND ce.event_name = ud.event_name
  )
GROUP BY ud.event_name
ORDER BY SUM(ud.count) DESC, ud.event_name
LIMIT %(limit)s
"""


def unknown_event_names(*, tenant: Tenant, limit: int = UNKNOWN_EVENTS_LIMIT) -> list[UnknownEvent]:
    """Event names in the rollups without a catalog entry, most frequent first, for the admin to classify."""
    with connection.cursor() as cursor:
        cursor.execute(_UNKNOWN_EVENTS_SQL, {"tenant": tenant.pk, "limit": limit})
        rows = cursor.fetchall()
    return [UnknownEvent(event_name=n, events=int(e), accounts=a, last_day=d) for n, e, a, d in rows]
