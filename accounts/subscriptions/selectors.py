"""Reads of subscription periods: the renewal-or-churn events (METRICS.md "Retention", "renewal").

Decisions where METRICS.md is brief:
- One event per account and end instant (two periods of one account ending at the same instant are one
  decision). Its local day is the end's day in the tenant's zone.
- Renewed when the account is still subscribed right after the end: another of its periods starts no later than
  1 day after the end (exactly 1 day counts) and ends after it. This covers the plain renewal (the next period
  starts at the end, or within a day of it) and overlaps (an end inside another period that continues);
  otherwise the end is a churn.
- Censored (neither): an end whose 1-day renewal window is not over by ``until`` (end + 1 day > until), since
  its renewal may still arrive. ``until`` is now, or the last instant of a history's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef

from accounts.models import Tenant
from accounts.subscriptions.models import SubscriptionPeriod

RENEWAL_GAP = dt.timedelta(days=1)


@dataclass(frozen=True)
class RenewalEvent:
    account_id: int
    ends_at: dt.datetime
    day: dt.date  # the end's local day
    churned: bool


def renewal_events(*, tenant: Tenant, until: dt.datetime) -> list[RenewalEvent]:
    """Every uncensored renewal-or-churn event of the tenant, by day then account (one query)."""
    continues = SubscriptionPeriod.objects.filter(
        tenant=tenant, account_id=OuterRef("account_id"), starts_at__lte=OuterRef("ends_at") + RENEWAL_GAP,
        ends_at__gt=OuterRef("ends_at"))
    rows = (SubscriptionPeriod.objects.filter(tenant=tenant, ends_at__lte=until - RENEWAL_GAP)
            .annotate(renewed=Exists(continues), end=F("ends_at"))
            .values_list("account_id", "end", "renewed").distinct().order_by("end", "account_id"))
    zone = tenant.zone
    return [RenewalEvent(account_id=a, ends_at=end, day=end.astimezone(zone).date(), churned=not renewed)
            for a, end, renewed in rows]
