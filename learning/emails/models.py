"""The tenant's learning-email policy (one row per tenant, created with the defaults on first use, like the
surveys' ``SurveyPolicy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.tenancy import TenantOwnedModel

DEFAULT_STALLED_DAYS = 7
DEFAULT_MAX_REMINDERS = 3
MAX_STALLED_DAYS = 365
MAX_REMINDERS = 10


class LearningPolicy(TenantOwnedModel):
    """Whether invitations and reminders go out, and when a learner counts as stalled.

    A reminder goes to an enrollment (enrolled or started) whose last activity (``last_activity_at``, else
    ``invited_at``, else ``enrolled_at``) is at least ``stalled_days`` old, at most ``max_reminders`` times,
    each at least ``stalled_days`` after the previous one. ``reminders_use_survey_budget``: reminders also
    wait while the surveys' fatigue budget would refuse the contact a survey (learning.emails.services)."""

    invitations_enabled = models.BooleanField(default=True)
    reminders_enabled = models.BooleanField(default=True)
    stalled_days = models.PositiveSmallIntegerField(
        default=DEFAULT_STALLED_DAYS, validators=[MinValueValidator(1), MaxValueValidator(MAX_STALLED_DAYS)])
    max_reminders = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_REMINDERS, validators=[MinValueValidator(0), MaxValueValidator(MAX_REMINDERS)])
    reminders_use_survey_budget = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="learning_policy_one_per_tenant"),
            models.CheckConstraint(condition=Q(stalled_days__gte=1, stalled_days__lte=MAX_STALLED_DAYS),
                                   name="learning_policy_stalled_days_bounded"),
            models.CheckConstraint(condition=Q(max_reminders__lte=MAX_REMINDERS),
                                   name="learning_policy_max_reminders_bounded"),
        ]
        verbose_name_plural = "learning policies"
