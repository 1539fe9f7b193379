"""Customer accounts (the companies that buy seats) and their contacts (the people)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantOwnedModel


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    MATURE = "mature", "Mature"
    RENEWAL = "renewal", "Renewal"
    CHURNED = "churned", "Churned"


class KnowledgeLevel(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    EXPERT = "expert", "Expert"


class CustomerAccount(TenantOwnedModel):
    external_id = models.CharField(max_length=128)
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=64, blank=True)
    tier = models.CharField(max_length=32, blank=True, help_text="e.g. premium; SLA policies key on it")
    arr = models.DecimalField(
        "ARR", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    seats = models.PositiveIntegerField(null=True, blank=True, help_text="seats purchased")
    contract_start = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING
    )
    owner_csm = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="account_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="account_tenant_name"),
            models.Index(fields=["tenant", "renewal_date"], name="account_tenant_renewal"),
            models.Index(fields=["tenant", "updated_at"], name="account_tenant_updated"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TenantOwnedModel):
    external_id = models.CharField(max_length=128)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200, blank=True)
    persona = models.CharField(max_length=64, blank=True, help_text="role, e.g. admin, end user")
    knowledge_level = models.CharField(
        max_length=16, choices=KnowledgeLevel.choices, default=KnowledgeLevel.BEGINNER
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # db_default too: usage ingestion creates contacts with raw SQL that names only the columns it knows.
    language = models.CharField(max_length=16, blank=True, default="", db_default="",
                                help_text="preferred language (en, tr, pt-BR); surveys and emails use it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="contact_unique_external_id"),
            # One person per email within a tenant: identity matching (support, surveys) relies on it.
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=~models.Q(email=""),
                name="contact_unique_email",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account"], name="contact_tenant_account"),
            models.Index(fields=["tenant", "updated_at"], name="contact_tenant_updated"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]
