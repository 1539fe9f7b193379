"""Reads of the role-aware home: the CSM's own accounts and the portfolio figures (accounts' data), and
the loading of every registered section. Aggregates are computed in SQL; every read is bounded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, LifecycleStage, Tenant
from accounts.selectors import tenant_today
from accounts.workspace import registry

MY_ACCOUNTS_LIMIT = 50
RENEWALS_LIMIT = 20
RENEWAL_HORIZON_DAYS = 90

DEFINITIONS: dict[str, str] = {
    "my_accounts": "Accounts whose owner CSM is you, soonest renewal first (accounts without a renewal date last).",
    "arr": "Annual recurring revenue under the current contract, as recorded for the account.",
    "renewal": "The account's renewal date.",
    "arr_by_stage": "Sum of the ARR recorded on the accounts in each lifecycle stage, and how many accounts "
                    "that is. The total leaves churned accounts out: their ARR is no longer recurring.",
    "renewals": f"Accounts, churned ones excepted, whose renewal date is from today to {RENEWAL_HORIZON_DAYS} "
                "days ahead, in the tenant's time zone (the account list's \u201cwithin 90 days\u201d); "
                "their number and the sum of their ARR.",
    "last_seen": "The latest time any contact of the account was seen in product usage (a usage event).",
}


# --- the CSM: my accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class MyAccounts:
    total: int
    rows: list[registry.AccountRow]  # the first MY_ACCOUNTS_LIMIT, with the registered columns
    columns: list[registry.AccountColumn]


def my_accounts(*, tenant: Tenant, user: AbstractBaseUser, now: dt.datetime,
                limit: int = MY_ACCOUNTS_LIMIT) -> MyAccounts:
    """Two queries, then one per registered home column."""
    owned = CustomerAccount.objects.filter(tenant=tenant, owner_csm=user)
    accounts = list(owned.order_by("renewal_date", "name", "pk")[:limit])  # PostgreSQL sorts nulls last
    total = owned.count()
    return MyAccounts(
        total=total,
        rows=registry.account_rows(tenant=tenant, accounts=accounts, place=registry.HOME_ACCOUNTS, now=now),
        columns=registry.columns_for(registry.HOME_ACCOUNTS),
    )


def contacts_last_seen(*, tenant: Tenant, account_ids: list[int], now: dt.datetime) -> dict[int, dt.datetime]:
    """Per account, the latest ``last_seen_at`` of its contacts (one grouped query)."""
    rows = (Contact.objects.filter(tenant=tenant, account_id__in=account_ids, last_seen_at__isnull=False)
            .values("account_id").annotate(seen=Max("last_seen_at")).values_list("account_id", "seen"))
    return dict(rows)


# --- the portfolio: managers, admins, viewers ------------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    accounts: int
    arr: Decimal


@dataclass(frozen=True)
class ArrByStage:
    rows: list[StageRow]  # every stage, in lifecycle order, zero rows included
    total_accounts: int  # churned left out
    total_arr: Decimal


def arr_by_stage(*, tenant: Tenant) -> ArrByStage:
    """One grouped query."""
    found = {
        stage: (n, arr)
        for stage, n, arr in CustomerAccount.objects.filter(tenant=tenant).order_by()
        .values("lifecycle_stage").annotate(n=Count("pk"), arr=Coalesce(Sum("arr"), Decimal(0)))
        .values_list("lifecycle_stage", "n", "arr")
    }
    rows = [StageRow(stage, label, *found.get(stage, (0, Decimal(0)))) for stage, label in LifecycleStage.choices]
    live = [r for r in rows if r.stage != LifecycleStage.CHURNED]
    return ArrByStage(rows=rows, total_accounts=sum(r.accounts for r in live), total_arr=sum(
        (r.arr for r in live), Decimal(0)))


@dataclass(frozen=True)
class Renewals:
    start: dt.date
    end: dt.date
    count: int
    arr: Decimal
    soonest: list[CustomerAccount]  # the first RENEWALS_LIMIT, with their owner


def renewals_due(*, tenant: Tenant, today: dt.date, days: int = RENEWAL_HORIZON_DAYS,
                 limit: int = RENEWALS_LIMIT) -> Renewals:
    """Two queries: the count and ARR, and the soonest accounts."""
    end = today + dt.timedelta(days=days)
    due = (CustomerAccount.objects.filter(tenant=tenant, renewal_date__gte=today, renewal_date__lte=end)
           .exclude(lifecycle_stage=LifecycleStage.CHURNED))
    figures = due.aggregate(n=Count("pk"), arr=Coalesce(Sum("arr"), Decimal(0)))
    soonest = list(due.select_related("owner_csm").order_by("renewal_date", "name", "pk")[:limit])
    return Renewals(start=today, end=end, count=figures["n"], arr=figures["arr"], soonest=soonest)


# --- the page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedSection:
    key: str
    title: str
    template: str
    data: dict[str, Any]


def home_sections(*, tenant: Tenant, user: AbstractBaseUser, role: str,
                  now: dt.datetime | None = None) -> list[LoadedSection]:
    """The sections of this role's home, each loaded (their queries add up; each is bounded)."""
    now = now or timezone.now()
    context = registry.HomeContext(tenant=tenant, user=user, role=role, now=now, today=tenant_today(tenant))
    return [LoadedSection(s.key, s.title, s.template, s.load(context)) for s in registry.sections_for(role)]


