"""A subscription period: ``[starts_at, ends_at)`` with an ARR and seats (METRICS.md "Retention").

Issue 14 needs the renewal-or-churn history for the health backtest; this is the minimal model the
retention issue grows from (revenue ledger, renewals page, derived ARR/seats/renewal date). Upserted by
``external_id`` through ``POST /api/v1/subscriptions/bulk``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from accounts.tenancy import TenantOwnedModel

EXTERNAL_ID_MAX = 200
PLAN_MAX = 100
ARR_MAX_DIGITS = 14  # up to 999,999,999,999.99 a year


class PeriodKind(models.TextChoices):
    NEW = "new", "New"
    RENEWAL = "renewal", "Renewal"
    EXPANSION = "expansion", "Expansion"
    CONTRACTION = "contraction", "Contraction"


class SubscriptionPeriod(TenantOwnedModel):
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="exclusive")
    arr = models.DecimalField(max_digits=ARR_MAX_DIGITS, decimal_places=2)
    seats = models.PositiveIntegerField(default=0)
    plan = models.CharField(max_length=PLAN_MAX, blank=True)
    kind = models.CharField(max_length=16, choices=PeriodKind.choices, blank=True,
                            help_text="as sent; empty = derived from the account's earlier periods")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="accounts_subscription_external_id"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="accounts_subscription_ends_after_start"),
            models.CheckConstraint(condition=Q(arr__gte=0), name="accounts_subscription_arr_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "account", "starts_at"], name="accounts_subscription_account"),
                   models.Index(fields=["tenant", "ends_at"], name="accounts_subscription_ends")]

    def __str__(self) -> str:
        return self.external_id
