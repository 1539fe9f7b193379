"""Scorecards, their immutable versions, and the daily score rows (issue 14).

A scorecard applies to the accounts of some lifecycle stages and/or tiers (first match by ``priority``
wins; the tenant's default one applies to the rest). Its definition lives in numbered
``ScorecardVersion`` rows that never change: an edit makes a new version, and every ``HealthScore`` row
records the version it was computed with, so history can be reproduced.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import CustomerAccount
from accounts.tenancy import TenantOwnedModel

MAX_NAME = 200


class Scorecard(TenantOwnedModel):
    """``lifecycle_stages`` / ``tiers``: the accounts it applies to (an empty list = any); the default
    scorecard applies to every account no other matches. ``current_version`` is the one new scores use."""

    name = models.CharField(max_length=MAX_NAME)
    is_default = models.BooleanField(default=False)
    priority = models.PositiveIntegerField(default=100, help_text="lower first when several match")
    lifecycle_stages = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=list, blank=True)
    current_version = models.ForeignKey("ScorecardVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True),
                                    name="health_scorecard_one_default"),
            models.UniqueConstraint(fields=["tenant", "name"], name="health_scorecard_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(TenantOwnedModel):
    """A frozen definition (health.scores.definitions): components with weights and mappings, and bands."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "scorecard", "number"],
                                               name="health_scorecard_version_unique")]

    def __str__(self) -> str:
        return f"{self.scorecard} v{self.number}"


class HealthScore(TenantOwnedModel):
    """One account's score as of one local day: the score (null when no component had data), its band and
    confidence, and per component its input, points and effective weight (``components``: a list of
    ``{"key", "input", "points", "weight", "effective_weight"}``), computed with ``version``."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # RESTRICT: a version with scores stays (history must be reproducible), and goes with its tenant.
    version = models.ForeignKey(ScorecardVersion, on_delete=models.RESTRICT, related_name="scores")
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    confidence = models.FloatField()
    components = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "day"], name="health_score_one_per_day"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                                   name="health_score_bounded"),
            models.CheckConstraint(condition=Q(confidence__gte=0, confidence__lte=1),
                                   name="health_score_confidence_bounded"),
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="health_score_day")]


REASON_MAX = 1000


class OverrideEnd(models.TextChoices):
    EXPIRED = "expired", "Expired"
    REMOVED = "removed", "Removed by hand"
    REPLACED = "replaced", "Replaced by a newer override"


class HealthOverride(TenantOwnedModel):
    """A CSM's override of an account's score or band, with a reason and an expiry. The computed score rows
    are never touched: the override is shown beside them and wins on display while it is in force
    (``ended_at`` null and ``expires_at`` in the future). Every row stays, so the rows of an account are its
    override history (who, when, what, why, and how it ended: expired by itself, removed, or replaced)."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(null=True, blank=True, help_text="0-100; empty = the band alone is overridden")
    band = models.CharField(max_length=32, blank=True, help_text="empty = the band of the overriding score")
    reason = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="empty with an end = ended by the platform")
    end_reason = models.CharField(max_length=16, choices=OverrideEnd.choices, blank=True)

    class Meta:
        constraints = [
            # At most one override in force per account: a new one ends (replaces) the current one.
            models.UniqueConstraint(fields=["tenant", "account"], condition=Q(ended_at__isnull=True),
                                    name="health_override_one_open"),
            models.CheckConstraint(condition=Q(score__isnull=False) | ~Q(band=""),
                                   name="health_override_says_something"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                                   name="health_override_score_bounded"),
            models.CheckConstraint(condition=~Q(reason=""), name="health_override_reason_set"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="health_override_expires_after_creation"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                                   name="health_override_end_has_reason"),
        ]
        indexes = [models.Index(fields=["tenant", "account", "created_at"], name="health_override_account")]


class RecomputeDirty(TenantOwnedModel):
    """The dirty flag of the soon-after-changes recompute: an account whose inputs changed since its last
    score (events merged, a ticket, a survey answer, a completion, a subscription). One row per account
    (marking twice is a no-op); the batch task takes rows away as it recomputes them."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "account"], name="health_dirty_one_per_account")]
        indexes = [models.Index(fields=["tenant", "marked_at"], name="health_dirty_marked")]
        verbose_name, verbose_name_plural = "recompute mark", "recompute marks"
