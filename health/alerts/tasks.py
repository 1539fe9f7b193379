"""Celery task of the health alerts (thin: a tenant id and a local day, then the service). The recompute
(nightly and soon after changes) enqueues it after its scores are written."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accounts.tenancy import current_tenant, tenant_task
from health.alerts.services import evaluate_rules


@shared_task(name="health.alerts.tasks.evaluate_alerts")
@tenant_task
def evaluate_alerts(tenant_id: int, day_iso: str, account_ids: list[int] | None = None) -> dict:
    """Evaluate the tenant's active rules for the local day ``day_iso`` (YYYY-MM-DD), over ``account_ids`` or
    every account. Idempotent: a redelivery raises nothing new."""
    return evaluate_rules(tenant=current_tenant(), day=dt.date.fromisoformat(day_iso), account_ids=account_ids)
