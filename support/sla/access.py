"""Fetch-and-check helpers of SLA objects (DESIGN.md rule 4): another tenant's row is a 404, as a
missing one."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from support.models import BusinessCalendar, Holiday, SlaPolicy


def get_slapolicy_for_tenant(tenant: Tenant, *, pk: int) -> SlaPolicy:
    return fetch_one(SlaPolicy.objects.filter(tenant=tenant).select_related("calendar"), "SLA policy", pk=pk)


def get_businesscalendar_for_tenant(tenant: Tenant, *, pk: int) -> BusinessCalendar:
    return fetch_one(BusinessCalendar.objects.filter(tenant=tenant), "calendar", pk=pk)


def get_holiday_for_tenant(tenant: Tenant, *, pk: int) -> Holiday:
    return fetch_one(Holiday.objects.filter(tenant=tenant).select_related("calendar"), "holiday", pk=pk)
