"""Every read of sending more than a one-liner: the invitation list and its suppressed counts, the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from surveys.models import Survey
from surveys.sending.models import Invitation, InvitationStatus, OptOut, OutboxMessage, SuppressionReason, SurveyPolicy

if TYPE_CHECKING:
    from accounts.models import Tenant


def invitation_list(*, tenant: Tenant, status: str | None = None, reason: str | None = None) -> QuerySet:
    """Invitations newest first, with survey, contact and account in the same query."""
    rows = Invitation.objects.filter(tenant=tenant)
    if status:
        rows = rows.filter(status=status)
    if reason:
        rows = rows.filter(suppressed_reason=reason)
    return rows.select_related("survey", "contact", "account").order_by("-send_after", "-id")


def suppressed_by_reason(*, tenant: Tenant) -> list[dict]:
    """Every reason with the number of invitations suppressed for it (all time; zeros included), one query."""
    counts = dict(Invitation.objects.filter(tenant=tenant, status=InvitationStatus.SUPPRESSED)
                  .values("suppressed_reason").annotate(n=Count("id")).values_list("suppressed_reason", "n"))
    return [{"reason": value, "label": label, "n": counts.get(value, 0)} for value, label in SuppressionReason.choices]


def outbox_list(*, tenant: Tenant, status: str | None = None) -> QuerySet:
    """Outbox messages newest first; the bodies are left out (they may hold a token, and the page never shows them)."""
    rows = OutboxMessage.objects.filter(tenant=tenant)
    if status:
        rows = rows.filter(status=status)
    return (rows.select_related("invitation__contact").defer("body_text", "body_html", "headers")
            .order_by("-created_at", "-id"))


def outbox_counts(*, tenant: Tenant) -> dict[str, int]:
    counts = dict(OutboxMessage.objects.filter(tenant=tenant).values("status").annotate(n=Count("id"))
                  .values_list("status", "n"))
    return {value: counts.get(value, 0) for value, _ in OutboxMessage.Status.choices}


def active_surveys(*, tenant: Tenant) -> list[Survey]:
    return list(Survey.objects.filter(tenant=tenant, is_active=True).order_by("kind", "-is_default", "name", "id"))


def policy(*, tenant: Tenant) -> SurveyPolicy:
    """The tenant's policy with who changed it, or (never saved yet) an unsaved one with the defaults: reading
    the settings page writes nothing (surveys.sending.services.policy_for creates the row when it is used)."""
    found = SurveyPolicy.objects.filter(tenant=tenant).select_related("updated_by").first()
    return found or SurveyPolicy(tenant=tenant)


def opted_out_contacts(*, tenant: Tenant) -> QuerySet:
    """The ids of the tenant's opted-out contacts, as a subquery for other apps' email selections (the
    learning emails honour the surveys' opt-out)."""
    return OptOut.objects.filter(tenant=tenant).values("contact_id")
