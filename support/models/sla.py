"""SLA policies and the business-hours calendars they may count in."""

from __future__ import annotations

from django.db import models

from accounts.tenancy import TenantOwnedModel


class BusinessCalendar(TenantOwnedModel):
    """Working hours per weekday in the calendar's time zone, e.g.
    ``{"0": [["09:00", "17:00"]], ..., "6": []}`` (Monday is "0"), plus :class:`Holiday` dates."""

    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    weekly_hours = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="support_calendar_unique_name")]

    def __str__(self) -> str:
        return self.name


class Holiday(TenantOwnedModel):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "calendar", "date"], name="support_holiday_unique_date"),
        ]


class SlaPolicy(TenantOwnedModel):
    """Targets for tickets of one account tier and priority (blank = any). The most specific matching
    active policy applies (tier and priority > tier > priority > neither)."""

    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=32, blank=True, help_text="account tier, e.g. premium; blank = any")
    priority = models.CharField(max_length=16, blank=True, help_text="ticket priority; blank = any")
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    next_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="policies", help_text="count business hours; blank = calendar time")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="support_sla_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
