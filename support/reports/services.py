"""Support cost entries (METRICS.md "cost per interaction"): every write, keyword-only and atomic.

Decision: one entry per (month, team) of a tenant (``team`` None = the whole support function).
Posting the same month and team again *replaces* its amount and currency (an upsert): integrations
re-send a month's figure when it is corrected, and summing re-sent figures would double the cost. The
lookup-then-write runs under a transaction-scoped advisory lock per tenant, because the table has no
unique constraint to arbitrate concurrent posts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction

from accounts.models import Tenant
from support.models import SupportCost, Team
from support.records.services.tickets import RecordError, Written

_LOCK_NAMESPACE = 52_005  # advisory-lock key space of support costs (any constant of our own)


def team_by_name(*, tenant: Tenant, name: str) -> Team:
    team = Team.objects.filter(tenant=tenant, name__iexact=name.strip()).first()
    if team is None:
        raise RecordError("no team with this name (teams come from POST /agents/bulk)", field="team")
    return team


def record_support_cost(*, tenant: Tenant, month: dt.date, amount: Decimal, currency: str,
                        team_name: str | None = None, note: str = "") -> Written:
    """Create or replace the cost entry of ``month`` (any day of it) and ``team_name`` (None = all support)."""
    if amount < 0:
        raise RecordError("must not be negative", field="amount")
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise RecordError("a 3-letter ISO 4217 code, e.g. USD", field="currency")
    team = team_by_name(tenant=tenant, name=team_name) if team_name else None
    month = month.replace(day=1)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, tenant.pk])
        entry = SupportCost.objects.filter(tenant=tenant, month=month, team=team).order_by("pk").first()
        if entry is None:
            entry = SupportCost.objects.create(tenant=tenant, month=month, team=team, amount=amount,
                                               currency=currency, note=note)
            return Written(entry, created=True)
        changed = (entry.amount, entry.currency, entry.note) != (amount, currency, note)
        if changed:
            entry.amount, entry.currency, entry.note = amount, currency, note
            entry.save(update_fields=["amount", "currency", "note"])
        return Written(entry, created=False, changed=changed)


def support_costs(*, tenant: Tenant):
    """The tenant's entries, newest month first (a selector kept beside its only writer)."""
    return SupportCost.objects.filter(tenant=tenant).select_related("team").order_by("-month", "team__name", "pk")
