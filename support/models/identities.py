"""One person, many addresses: a contact's identities on every channel, and the audit of merges."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantOwnedModel


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social handle"
    IN_APP = "in_app", "In-app user id"


class ContactIdentity(TenantOwnedModel):
    """``value`` is normalized (support.services.identities.normalize_identity): lower-case email,
    ``+`` and digits for phone, lower-case ``network:handle`` for social, the product's user id as is."""

    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "value"], name="support_identity_unique_value"),
        ]
        indexes = [models.Index(fields=["tenant", "contact"], name="support_identity_contact")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ContactMerge(TenantOwnedModel):
    """Audit row of one merge: the merged contact is described by its snapshot (it may be gone)."""

    kept_contact = models.ForeignKey(
        "accounts.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_external_id = models.CharField(max_length=128)
    merged_snapshot = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField()
    moved_counts = models.JSONField(default=dict, help_text='e.g. {"identities": 2, "tickets": 3, ...}')
    merged_contact_deleted = models.BooleanField(
        default=False, help_text="false when other apps' records still point at the merged contact"
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "kept_contact"], name="support_merge_kept")]

    def __str__(self) -> str:
        return f"{self.merged_external_id} -> {self.kept_contact_id}"
