"""Reads of the ticket page's CSAT panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from surveys.models import Invitation, SkippedTicket, Survey

if TYPE_CHECKING:
    from accounts.models import Tenant
    from support.models import Ticket


def ticket_invitations(*, tenant: Tenant, ticket: Ticket) -> QuerySet:
    """The ticket's invitations, newest resolution first, each with its survey and its response (if any)
    in the same query (at most one response per invitation: a unique constraint)."""
    return (Invitation.objects.filter(tenant=tenant, ticket=ticket).select_related("survey")
            .prefetch_related("responses").order_by("-resolution_at", "-id"))


def ticket_skip(*, tenant: Tenant, ticket: Ticket) -> SkippedTicket | None:
    return SkippedTicket.objects.filter(tenant=tenant, ticket=ticket).select_related("created_by").first()


def campaign_survey_choices(*, tenant: Tenant) -> QuerySet:
    """Surveys a campaign may use: the active ones (a deactivated survey sends nothing)."""
    return Survey.objects.filter(tenant=tenant, is_active=True).order_by("kind", "-is_default", "name", "id")
