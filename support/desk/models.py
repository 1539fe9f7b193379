"""What agents work with besides tickets: canned responses (macros) and callbacks."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantOwnedModel


class Macro(TenantOwnedModel):
    """A canned response. ``body`` may hold placeholders such as ``{{ contact.first_name }}``, rendered
    with autoescaping from a fixed, read-only context (never arbitrary template code)."""

    name = models.CharField(max_length=200)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="support_macro_unique_name")]

    def __str__(self) -> str:
        return self.name


class Callback(TenantOwnedModel):
    """A customer asked to be called back (from the phone channel, a page or the API).

    Completing it records the outbound call as an :class:`Interaction` (``completed_interaction``); the
    callback wait is ``completed_at - requested_at``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    external_id = models.CharField(max_length=128, help_text="the integration's id; pages generate one")
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("support.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="callbacks")
    phone = models.CharField(max_length=32)
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="when the customer wants the call (requested_at if as soon as possible)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("support.Agent", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    completed_interaction = models.ForeignKey(
        "support.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="support_callback_unique_external_id"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "due_at"], name="support_callback_queue")]
