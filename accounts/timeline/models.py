"""CSM notes and logged touches (a call, a meeting, an email) on an account: shown on its timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from accounts.tenancy import TenantOwnedModel

NOTE_SUBJECT_MAX = 200
NOTE_BODY_MAX = 10_000


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"


class AccountNote(TenantOwnedModel):
    """A note a CSM wrote, or a touch they logged (``kind`` other than ``note``), on an account.
    ``happened_at`` is when the touch took place (a call logged afterwards), ``created_at`` when it was
    written; the timeline places it at ``happened_at``. Edits keep who and when (``updated_by``)."""

    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NoteKind.choices, default=NoteKind.NOTE)
    subject = models.CharField(max_length=NOTE_SUBJECT_MAX, blank=True)
    body = models.TextField()
    happened_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # The form's limit, kept by the database too: no other writer can store a page-breaking body.
            models.CheckConstraint(
                condition=models.Q(LessThanOrEqual(Length("body"), NOTE_BODY_MAX), ~models.Q(body="")),
                name="account_note_body_length",
            ),
        ]
        indexes = [
            # The timeline reads one account's notes newest first in its keyset (happened_at, id).
            models.Index(fields=["tenant", "account", "happened_at", "id"], name="account_note_timeline"),
        ]

    def __str__(self) -> str:
        return self.subject or self.get_kind_display()
