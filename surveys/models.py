"""Survey definitions, their per-language texts, and the responses (issue 12, step 1).

Later steps hang invitations, sending, the fatigue budget and the public page on these: an invitation
will point at a ``Survey`` and a ``Contact`` and its answer will be a ``SurveyResponse`` with
``source=page`` or ``email``; reports read responses by ``(tenant, submitted_at)`` per kind.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.tenancy import TenantOwnedModel
from surveys.languages import MAX_LANGUAGE, validate_language
from surveys.scales import Kind

MAX_DELAY_HOURS = 24 * 90  # a CSAT sent three months after the contact measures nothing
DEFAULT_DELAY_HOURS = 24
MAX_NAME = 200
MAX_QUESTION = 500
MAX_TEXT = 2000
MAX_COMMENT = 5000
COLOUR_RE = r"^#[0-9a-fA-F]{6}$"
validate_colour = RegexValidator(COLOUR_RE, "a colour as #rrggbb, e.g. #1f6feb")


class Survey(TenantOwnedModel):
    """One survey definition. The default survey of a kind is what ``survey: "csat"`` in the API means
    (created on first use, surveys.services.default_survey); at most one per tenant and kind."""

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=MAX_NAME)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    delay_hours = models.PositiveIntegerField(
        default=DEFAULT_DELAY_HOURS, validators=[MinValueValidator(0), MaxValueValidator(MAX_DELAY_HOURS)],
        help_text="hours between the contact (a resolved ticket) and the invitation")
    brand_colour = models.CharField(max_length=7, default="#1f6feb", validators=[validate_colour])
    default_language = models.CharField(max_length=MAX_LANGUAGE, default="en", validators=[validate_language])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], condition=Q(is_default=True),
                                    name="surveys_survey_one_default_per_kind"),
            models.CheckConstraint(condition=Q(delay_hours__lte=MAX_DELAY_HOURS), name="surveys_survey_delay_bounded"),
        ]
        indexes = [models.Index(fields=["tenant", "updated_at", "id"], name="surveys_survey_updated")]

    def __str__(self) -> str:
        return self.name


class SurveyText(TenantOwnedModel):
    """A survey's words in one language. Follow-ups are asked by the band of the score given
    (surveys.scales): ``followup_low`` serves NPS detractors and low CSAT/CES, ``followup_mid`` passives
    and neutral, ``followup_high`` promoters and high. Blank = no follow-up for that band."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=MAX_LANGUAGE, validators=[validate_language])
    question = models.CharField(max_length=MAX_QUESTION)
    followup_low = models.CharField(max_length=MAX_QUESTION, blank=True)
    followup_mid = models.CharField(max_length=MAX_QUESTION, blank=True)
    followup_high = models.CharField(max_length=MAX_QUESTION, blank=True)
    thank_you = models.CharField(max_length=MAX_TEXT, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "survey", "language"], name="surveys_text_one_per_language"),
        ]


class Source(models.TextChoices):
    API = "api", "API"
    EMAIL = "email", "Email"  # later steps: a score clicked in the invitation email
    PAGE = "page", "Survey page"  # later steps: the public tokenized page


class SurveyResponse(TenantOwnedModel):
    """One answer. ``account`` is the contact's account when the answer was recorded (reports group by
    it even if the contact later moves); ``score`` is on the survey kind's scale (checked by the service)."""

    survey = models.ForeignKey(Survey, on_delete=models.RESTRICT, related_name="responses")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="survey_responses")
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="survey_responses")
    ticket = models.ForeignKey("support.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="survey_responses")
    score = models.SmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(max_length=MAX_COMMENT, blank=True)
    followup_answer = models.TextField(max_length=MAX_COMMENT, blank=True)
    submitted_at = models.DateTimeField()
    language = models.CharField(max_length=MAX_LANGUAGE, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    external_id = models.CharField(max_length=128, null=True, blank=True)
    invitation = models.ForeignKey("surveys.Invitation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="responses", help_text="the invitation answered (page or email)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=Q(external_id__isnull=False),
                                    name="surveys_response_unique_external_id"),
            models.UniqueConstraint(fields=["tenant", "invitation"], condition=Q(invitation__isnull=False),
                                    name="surveys_response_one_per_invitation"),
            # The widest scale (NPS 0-10); the kind's own range is the service's check.
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="surveys_response_score_range"),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "submitted_at"], name="surveys_response_account"),
            models.Index(fields=["tenant", "contact", "submitted_at"], name="surveys_response_contact"),
            models.Index(fields=["tenant", "survey", "submitted_at"], name="surveys_response_survey"),
            models.Index(fields=["tenant", "updated_at", "id"], name="surveys_response_updated"),
        ]


# The branding and sending sub-domains' models live in their packages; imported here so Django registers them.
from surveys.branding.models import SurveyLogo  # noqa: E402, F401
from surveys.sending.models import (  # noqa: E402, F401
    Campaign,
    Invitation,
    InvitationStatus,
    OptOut,
    OutboxMessage,
    SkippedTicket,
    SuppressionReason,
    SurveyPolicy,
    Trigger,
)
