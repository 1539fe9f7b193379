"""Invitations, their email outbox, the tenant's sending policy (fatigue budget, transactional CSAT
rules), relationship NPS campaigns and opt-outs (issue 12, step 2).

The life of an invitation (``Invitation.status``):

- ``scheduled``: created by a trigger (a resolved ticket, a campaign's drip, ``POST /survey-invitations``,
  a person) with ``send_after``; no token yet.
- ``sent``: the beat-driven sender took it when due, checked the fatigue budget, the opt-out and the
  ticket (still resolved, not merged) at that moment, issued its token (only the SHA-256 is kept) and
  queued its email in the outbox; ``sent_at`` is then, ``expires_at`` = ``sent_at`` + the policy's expiry.
- ``suppressed``: not sent, with ``suppressed_reason`` (:class:`SuppressionReason`) and ``suppressed_at``:
  every suppressed send is a row, so it can be counted and shown (METRICS.md "suppressed").
- ``answered``: a response is tied to it (``SurveyResponse.invitation``, at most one: a unique constraint, so
  two concurrent submits cannot make two); the page may edit that response until expiry.

Outbox messages carry the rendered email; the body of a delivered message is blanked, because the
plaintext token is in it and tokens are stored hashed (the outbox is the only place it lived, and only
while the message waited for delivery).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.tenancy import TenantOwnedModel
from surveys.languages import MAX_LANGUAGE, validate_language

DEFAULT_CONTACT_COOLDOWN_DAYS = 30
DEFAULT_ACCOUNT_MONTHLY_LIMIT = 50
DEFAULT_EXPIRY_DAYS = 28
MAX_DAYS = 366
MAX_TAG = 64
MAX_RULE_ITEMS = 50


class SurveyPolicy(TenantOwnedModel):
    """The tenant's sending rules, one row per tenant (created with the defaults on first use)."""

    contact_cooldown_days = models.PositiveSmallIntegerField(
        default=DEFAULT_CONTACT_COOLDOWN_DAYS, validators=[MinValueValidator(0), MaxValueValidator(MAX_DAYS)],
        help_text="a contact is surveyed at most once per this many days, all kinds together (0 = no limit)")
    account_monthly_limit = models.PositiveIntegerField(
        null=True, blank=True, default=DEFAULT_ACCOUNT_MONTHLY_LIMIT, validators=[MaxValueValidator(100_000)],
        help_text="an account's contacts are surveyed at most this many times per month, in the tenant's "
                  "time zone (empty = no limit)")
    default_language = models.CharField(max_length=MAX_LANGUAGE, default="en", validators=[validate_language],
                                        help_text="the invitation's language when the contact has none")
    expiry_days = models.PositiveSmallIntegerField(
        default=DEFAULT_EXPIRY_DAYS, validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)])
    # Transactional CSAT (the tenant's default CSAT survey, its delay_hours after the resolution).
    csat_on_resolution = models.BooleanField(default=True)
    csat_skip_channels = ArrayField(models.CharField(max_length=16), default=list, blank=True,
                                    size=MAX_RULE_ITEMS)
    csat_skip_tags = ArrayField(models.CharField(max_length=MAX_TAG), default=list, blank=True,
                                size=MAX_RULE_ITEMS)
    csat_skip_auto_resolved = models.BooleanField(
        default=True, help_text="no CSAT for a resolution that no agent or person made")
    csat_ask_again = models.BooleanField(
        default=False, help_text="a later resolution of the same ticket (after a reopen) is surveyed again")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="surveys_policy_one_per_tenant")]
        verbose_name_plural = "survey policies"


class Campaign(TenantOwnedModel):
    """A relationship survey (NPS, or any kind) to all or a segment of account contacts, drip-sent over
    ``window_days``; ``repeat_months`` re-invites each contact that many months after their last answer
    (or last invitation, if never answered)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"

    survey = models.ForeignKey("surveys.Survey", on_delete=models.RESTRICT, related_name="campaigns")
    name = models.CharField(max_length=200)
    segment = models.JSONField(default=dict, blank=True,
                               help_text="account filters as on the account list (stage, tier, plan, owner, q)")
    window_days = models.PositiveSmallIntegerField(default=7, validators=[MinValueValidator(0),
                                                                          MaxValueValidator(90)])
    repeat_months = models.PositiveSmallIntegerField(null=True, blank=True,
                                                     validators=[MinValueValidator(1), MaxValueValidator(36)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    started_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Who last started (or resumed) and paused it: the detail page shows them (audit).
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"], name="surveys_campaign_status")]


class Trigger(models.TextChoices):
    TICKET_RESOLVED = "ticket", "Ticket resolved"
    CAMPAIGN = "campaign", "Campaign"
    API = "api", "API"
    STAFF = "staff", "Sent by a person"


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    SUPPRESSED = "suppressed", "Suppressed"
    ANSWERED = "answered", "Answered"


class SuppressionReason(models.TextChoices):
    CONTACT_COOLDOWN = "contact_cooldown", "Contact surveyed recently (fatigue budget)"
    ACCOUNT_LIMIT = "account_limit", "Account's monthly limit reached (fatigue budget)"
    OPTED_OUT = "opted_out", "Contact opted out"
    NO_EMAIL = "no_email", "Contact has no email address"
    TICKET_REOPENED = "ticket_reopened", "Ticket reopened before sending"
    TICKET_MERGED = "ticket_merged", "Ticket merged before sending"
    SKIPPED_BY_AGENT = "skipped_by_agent", "Skipped on the ticket by an agent"
    SKIPPED_CHANNEL = "skipped_channel", "Channel excluded from CSAT"
    SKIPPED_TAG = "skipped_tag", "Ticket tag excluded from CSAT"
    AUTO_RESOLVED = "auto_resolved", "Resolved automatically"
    SURVEY_INACTIVE = "survey_inactive", "Survey deactivated"
    CAMPAIGN_STOPPED = "campaign_stopped", "Campaign paused or finished"
    BOUNCED = "bounced", "Email bounced"


class Invitation(TenantOwnedModel):
    survey = models.ForeignKey("surveys.Survey", on_delete=models.RESTRICT, related_name="invitations")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="survey_invitations")
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE,
                                related_name="survey_invitations")
    ticket = models.ForeignKey("support.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="survey_invitations")
    resolution_at = models.DateTimeField(null=True, blank=True,
                                         help_text="the ticket's resolution this CSAT asks about")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="invitations")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED)
    send_after = models.DateTimeField()
    language = models.CharField(max_length=MAX_LANGUAGE, blank=True, help_text="chosen when sent")
    token_hash = models.CharField(max_length=64, null=True, blank=True, help_text="SHA-256 of the link's token")
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    suppressed_reason = models.CharField(max_length=20, choices=SuppressionReason.choices, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, help_text="first visit of the page")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token_hash"], condition=Q(token_hash__isnull=False),
                                    name="surveys_invitation_unique_token"),
            # One CSAT per resolution of a ticket: the scheduler may run twice.
            models.UniqueConstraint(fields=["tenant", "ticket", "resolution_at"],
                                    condition=Q(ticket__isnull=False, resolution_at__isnull=False),
                                    name="surveys_invitation_one_per_resolution"),
            models.CheckConstraint(
                condition=~Q(status="suppressed") | ~Q(suppressed_reason=""),
                name="surveys_invitation_suppressed_has_reason"),
        ]
        indexes = [
            # The token lookup of the public page precedes any tenant scope (like API keys).
            models.Index(fields=["token_hash"], name="surveys_invitation_token"),
            models.Index(fields=["tenant", "status", "send_after"], name="surveys_invitation_due"),
            models.Index(fields=["tenant", "contact", "sent_at"], name="surveys_invitation_contact"),
            models.Index(fields=["tenant", "account", "sent_at"], name="surveys_invitation_account"),
            models.Index(fields=["tenant", "sent_at"], name="surveys_invitation_sent"),
            models.Index(fields=["tenant", "suppressed_at"], name="surveys_invitation_suppressed"),
        ]


class OptOut(TenantOwnedModel):
    """A contact who asked for no more survey emails (from any email's link, the page, the API or a person)."""

    class Source(models.TextChoices):
        EMAIL = "email", "Link in an email"
        PAGE = "page", "Survey page"
        API = "api", "API"
        STAFF = "staff", "Recorded by a person"

    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="survey_opt_outs")
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "contact"], name="surveys_optout_one_per_contact")]


class SkippedTicket(TenantOwnedModel):
    """An agent's "no CSAT for this ticket" (the per-ticket skip rule)."""

    ticket = models.ForeignKey("support.Ticket", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "ticket"], name="surveys_skip_one_per_ticket")]


class OutboxMessage(TenantOwnedModel):
    """One email waiting for, or past, delivery through Django's mail backend."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        BOUNCED = "bounced", "Bounced"

    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="messages")
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Extra headers (List-Unsubscribe): they hold the token's opt-out link, so they are blanked with the body.
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=200, help_text="the Message-ID header: bounces name it")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "message_id"], name="surveys_outbox_message_id")]
        indexes = [models.Index(fields=["tenant", "status", "next_attempt_at"], name="surveys_outbox_due")]
