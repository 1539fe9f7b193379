"""The CSM task and its history.

A task may name what opened it (``source_kind`` + ``source_id``: a survey response, later a health alert):
at most one task per source, a unique constraint, so every opener (the response hook, the safety-net
sweep, two of them at once) is idempotent by construction. ``done_at`` null = open.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from accounts.tenancy import TenantOwnedModel

TITLE_MAX = 200
DETAIL_MAX = 5000


class SourceKind(models.TextChoices):
    MANUAL = "", "Created by hand"
    SURVEY_RESPONSE = "survey_response", "Survey response"
    HEALTH_ALERT = "health_alert", "Health alert"  # issue 14: source_id = health.HealthAlert
    PLAYBOOK_STEP = "playbook_step", "Playbook step"  # issue 14: source_id = health.PlaybookRunStep


class CsmTask(TenantOwnedModel):
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    title = models.CharField(max_length=TITLE_MAX)
    detail = models.TextField(blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="empty = nobody yet (an account without a CSM)")
    due_on = models.DateField(help_text="a day in the tenant's time zone")
    snoozed_until = models.DateField(null=True, blank=True,
                                     help_text="a local day: hidden from the open lists until then (issue 14)")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    source_kind = models.CharField(max_length=32, choices=SourceKind.choices, blank=True, default="")
    source_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="empty = opened by the platform")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source_kind", "source_id"], condition=Q(source_id__isnull=False),
                                    name="accounts_csmtask_one_per_source"),
            models.CheckConstraint(condition=~Q(title=""), name="accounts_csmtask_title_set"),
            # The model's limit kept by the database too, so no writer stores a page-breaking text.
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("detail"), DETAIL_MAX)),
                                   name="accounts_csmtask_detail_length"),
            models.CheckConstraint(condition=Q(done_at__isnull=False) | Q(done_by__isnull=True),
                                   name="accounts_csmtask_done_by_only_when_done"),
        ]
        indexes = [
            # "My tasks" and the task list: open ones of an assignee by due day.
            models.Index(fields=["tenant", "assignee", "due_on"], condition=Q(done_at__isnull=True),
                         name="accounts_csmtask_open_mine"),
            models.Index(fields=["tenant", "account", "due_on"], name="accounts_csmtask_account"),
            models.Index(fields=["tenant", "due_on", "id"], name="accounts_csmtask_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class TaskAction(models.TextChoices):
    CREATED = "created", "Created"
    COMPLETED = "completed", "Completed"
    REOPENED = "reopened", "Reopened"
    SNOOZED = "snoozed", "Snoozed"
    COMMENTED = "commented", "Commented"
    ASSIGNED = "assigned", "Reassigned"
    DUE_CHANGED = "due_changed", "Due day changed"


CHANGE_NOTE_MAX = 300


class CsmTaskChange(TenantOwnedModel):
    """Who changed a task's state, and when (DESIGN.md habits: a person's state change is audited)."""

    task = models.ForeignKey(CsmTask, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=16, choices=TaskAction.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", help_text="empty = the platform")
    # What the change was, for the history (issue 14): "until 2026-12-10", "from Ana to Ben", "2026-12-01 to
    # 2026-12-05". Written by the service, bounded, never parsed back.
    note = models.CharField(max_length=CHANGE_NOTE_MAX, blank=True, default="", db_default="")

    class Meta:
        indexes = [models.Index(fields=["tenant", "task", "at"], name="accounts_csmtaskchange_task")]


COMMENT_MAX = 5000


class CsmTaskComment(TenantOwnedModel):
    """A comment on a task (issue 14): who wrote what, when."""

    task = models.ForeignKey(CsmTask, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="accounts_csmtaskcomment_body_set"),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("body"), COMMENT_MAX)),
                                   name="accounts_csmtaskcomment_body_length"),
        ]
        indexes = [models.Index(fields=["tenant", "task", "at"], name="accounts_csmtaskcomment_task")]
