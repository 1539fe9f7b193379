"""Writes of the ticket page's CSAT panel (keyword-only, typed, atomic): the agent's per-ticket skip."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from surveys.models import Invitation, InvitationStatus, SkippedTicket, SuppressionReason, Trigger

if TYPE_CHECKING:
    from accounts.models import Tenant
    from support.models import Ticket


def set_ticket_skip(*, tenant: Tenant, ticket: Ticket, skip: bool, by: AbstractBaseUser | None,
                    now: dt.datetime | None = None) -> bool:
    """"Don't send a CSAT survey for this ticket" on (a SkippedTicket row, with who) or off (removed).

    The agent typically decides after resolving, while the invitation waits for its delay: so turning it
    on also suppresses the ticket's ``scheduled`` invitations (``skipped_by_agent``), and turning it off
    schedules again the ones it suppressed for the ticket's current resolution (the CSAT sweep still
    cancels them if the ticket reopens or is merged, and the sender re-checks). Idempotent, and safe when
    two agents click at once (ON CONFLICT DO NOTHING). Answers whether the skip changed."""
    now = now or timezone.now()
    with transaction.atomic():
        invitations = Invitation.objects.filter(tenant=tenant, ticket=ticket, trigger=Trigger.TICKET_RESOLVED)
        if skip:
            invitations.filter(status=InvitationStatus.SCHEDULED).update(
                status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.SKIPPED_BY_AGENT,
                suppressed_at=now, updated_at=now)
            if SkippedTicket.objects.filter(tenant=tenant, ticket=ticket).exists():
                return False
            SkippedTicket.objects.bulk_create([SkippedTicket(tenant=tenant, ticket=ticket, created_by=by)],
                                              ignore_conflicts=True)
            return True
        deleted, _ = SkippedTicket.objects.filter(tenant=tenant, ticket=ticket).delete()
        invitations.filter(status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.SKIPPED_BY_AGENT,
                           resolution_at=ticket.last_resolved_at).update(
            status=InvitationStatus.SCHEDULED, suppressed_reason="", suppressed_at=None, updated_at=now)
        return bool(deleted)
