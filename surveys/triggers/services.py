"""Writes of the ticket page's CSAT panel (keyword-only, typed, atomic): the agent's per-ticket skip."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from surveys.models import SkippedTicket

if TYPE_CHECKING:
    from accounts.models import Tenant
    from support.models import Ticket


def set_ticket_skip(*, tenant: Tenant, ticket: Ticket, skip: bool, by: AbstractBaseUser | None) -> bool:
    """"Don't send a CSAT survey for this ticket" on (a SkippedTicket row, with who) or off (removed).
    Idempotent, safe when two agents click at once (ON CONFLICT DO NOTHING). The rule applies to the
    resolutions the CSAT sweep has not reached yet; an invitation already scheduled stays (the panel
    shows it). Answers whether anything changed."""
    with transaction.atomic():
        if not skip:
            deleted, _ = SkippedTicket.objects.filter(tenant=tenant, ticket=ticket).delete()
            return bool(deleted)
        if SkippedTicket.objects.filter(tenant=tenant, ticket=ticket).exists():
            return False
        SkippedTicket.objects.bulk_create([SkippedTicket(tenant=tenant, ticket=ticket, created_by=by)],
                                          ignore_conflicts=True)
        return True
