"""Support costs per month and team: the input of cost per interaction (METRICS.md)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from accounts.tenancy import TenantOwnedModel


class SupportCost(TenantOwnedModel):
    """The cost of the support function for one month (tenant-local month), optionally of one team.
    METRICS.md: cost per interaction = the month's cost entries / that month's interactions (per team
    where the entry names a team)."""

    month = models.DateField(help_text="first day of the month")
    team = models.ForeignKey("support.Team", null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "month"], name="support_cost_month")]
