"""The first-90-days view: accounts in their first 90 local days, riskiest first, with their adoption
figures (health.usage.selectors.adoption.adoption_by_account, the same figures as the usage tab)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.models import CustomerAccount, LifecycleStage, Tenant
from accounts.selectors import accounts_by_id, tenant_today
from health.usage.selectors.adoption import FIRST_DAYS, AccountAdoption, adoption_by_account


def risk_order_key(adoption: AccountAdoption, name: str, *, churned: bool = False) -> tuple:
    """USAGE_DEFINITIONS["risk"]: churned accounts after all others (the risk is no longer ahead: a churned
    account's zero usage topped the list above the accounts a CSM can still save); then lowest pace first;
    no pace (no seats) last; then fewer days left, fewer milestones reached, name."""
    pace = adoption.pace
    return (churned, pace is None, pace if pace is not None else 0.0, adoption.days_left or 0,
            adoption.milestones_reached, name.lower(), adoption.account_id)


@dataclass(frozen=True)
class FirstDaysRow:
    account: CustomerAccount
    adoption: AccountAdoption


def first_90_days(*, tenant: Tenant, today: dt.date | None = None) -> list[FirstDaysRow]:
    """Accounts in their first 90 local days (contract start between today - 89 and today), riskiest
    first. Two queries: the accounts, and their figures."""
    today = today or tenant_today(tenant)
    since = today - dt.timedelta(days=FIRST_DAYS - 1)
    figures = adoption_by_account(tenant=tenant, contract_started_between=(since, today), today=today)
    accounts = accounts_by_id(tenant=tenant, ids=figures)
    rows = [FirstDaysRow(account=a, adoption=figures[a.pk]) for a in accounts]
    rows.sort(key=lambda r: risk_order_key(r.adoption, r.account.name,
                                           churned=r.account.lifecycle_stage == LifecycleStage.CHURNED))
    return rows
