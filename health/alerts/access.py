"""Access helpers of the health alerts (DESIGN.md rule 4): one tenant's object, or the same 404."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from health.alerts.models import AlertRule, Playbook, PlaybookStep


def get_alertrule_for_tenant(tenant: Tenant, *, pk: int) -> AlertRule:
    return fetch_one(AlertRule.objects.filter(tenant=tenant).select_related("playbook"), "alert rule", pk=pk)


def get_playbook_for_tenant(tenant: Tenant, *, pk: int) -> Playbook:
    return fetch_one(Playbook.objects.filter(tenant=tenant), "playbook", pk=pk)


def get_playbookstep_for_tenant(tenant: Tenant, *, pk: int) -> PlaybookStep:
    return fetch_one(PlaybookStep.objects.filter(tenant=tenant).select_related("playbook"), "playbook step", pk=pk)
