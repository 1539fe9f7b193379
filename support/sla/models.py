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
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.RESTRICT,
                                 related_name="policies", help_text="count business hours; blank = calendar time")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="support_sla_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SlaEvent(TenantOwnedModel):
    """A warning before, or a breach of, one SLA clock of one ticket, recorded by the beat task
    (support.sla.services.check_sla). Unique per (ticket, clock, kind, due time): re-running the task, or a due
    time that did not move, records nothing twice; a due time that moves (a new next-response clock)
    may warn and breach again."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Due soon"
        BREACH = "breach", "Breached"

    class Clock(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"

    ticket = models.ForeignKey("support.Ticket", on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    clock = models.CharField(max_length=16, choices=Clock.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ticket", "clock", "kind", "due_at"],
                                    name="support_slaevent_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="support_slaevent_created")]
