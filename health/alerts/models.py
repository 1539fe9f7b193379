"""Alert rules, the alerts they raise, and playbooks (issue 14).

An alert is one cause on one account: ``(rule kind, account, cause_key)`` is unique, so evaluating the
rules again (the nightly run, the soon-after-changes run, two at once) never raises the same cause twice.
``cause_key`` names the episode, e.g. the day the account turned red, or the renewal date it is about;
a new episode (red again after a recovery, the next renewal) is a new cause. The task an alert opens is
an ``accounts.worklist`` CsmTask with ``source_kind = health_alert`` and ``source_id`` = the alert's id
(one task per source, a unique constraint there too).

A playbook is an ordered list of task templates with due offsets; a run of it on an account (started by a
rule or by hand) opens one task per step (``source_kind = playbook_step``, ``source_id`` = the run step).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import CustomerAccount
from accounts.tenancy import TenantOwnedModel

NAME_MAX = 200
TITLE_MAX = 200
DETAIL_MAX = 5000
CAUSE_MAX = 64


class RuleKind(models.TextChoices):
    SCORE_DROP = "score_drop", "Health drops X points in Y days"
    TURNS_RED = "turns_red", "Band turns red"
    FIRST_90_DAYS = "first_90_days", "First-90-days risk (seat gap or untrained users)"
    RENEWAL_AT_RISK = "renewal_at_risk", "Renewal within N days while yellow or red"
    DETRACTOR = "detractor", "Detractor (NPS 0-6)"
    NO_TRAINED_ADMIN = "no_trained_admin", "No trained admin"
    USAGE_STOPS = "usage_stops", "Usage stops"


class AlertRule(TenantOwnedModel):
    """One rule of a tenant: its kind, its parameters (``params``, per kind, validated by the services),
    the due offset of the task it opens, and optionally the playbook it starts."""

    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    name = models.CharField(max_length=NAME_MAX)
    is_active = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True)
    due_in_days = models.PositiveSmallIntegerField(default=3)
    playbook = models.ForeignKey("Playbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="health_alertrule_unique_name")]

    def __str__(self) -> str:
        return self.name


class HealthAlert(TenantOwnedModel):
    """One raised cause: what the rule saw (``facts``) on ``day``, and the task it opened (via the task's
    source, not a foreign key: the task may be deleted, the alert stays as the dedupe record)."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")
    cause_key = models.CharField(max_length=CAUSE_MAX)
    day = models.DateField(help_text="the local day the rule saw the cause")
    title = models.CharField(max_length=TITLE_MAX)
    facts = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "account", "cause_key"],
                                               name="health_alert_one_per_cause")]
        indexes = [models.Index(fields=["tenant", "account", "raised_at"], name="health_alert_account"),
                   models.Index(fields=["tenant", "raised_at"], name="health_alert_raised")]


class Playbook(TenantOwnedModel):
    name = models.CharField(max_length=NAME_MAX)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="health_playbook_unique_name")]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(TenantOwnedModel):
    """A task template: title, detail, due ``due_offset_days`` after the run starts, in ``position`` order."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    detail = models.TextField(blank=True)
    due_offset_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "playbook", "position"],
                                               name="health_playbookstep_position")]
        ordering = ["position"]


class PlaybookRun(TenantOwnedModel):
    """A playbook started on an account, by a person (``started_by``) or by an alert (``alert``)."""

    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="runs")
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(HealthAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="empty = started by an alert rule")

    class Meta:
        constraints = [
            # One alert starts its rule's playbook once, however often the rules run.
            models.UniqueConstraint(fields=["tenant", "alert"], condition=Q(alert__isnull=False),
                                    name="health_playbookrun_one_per_alert"),
        ]
        indexes = [models.Index(fields=["tenant", "account", "started_at"], name="health_playbookrun_account")]


class PlaybookRunStep(TenantOwnedModel):
    """A step of a run, copied from the template when the run starts (a later edit of the playbook does not
    rewrite runs under way); its task has ``source_kind = playbook_step`` and ``source_id`` = this row."""

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    detail = models.TextField(blank=True)
    due_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "run", "position"],
                                               name="health_playbookrunstep_position")]
