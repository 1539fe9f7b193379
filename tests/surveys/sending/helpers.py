"""Shared set-up of the sending tests: scheduled invitations as a trigger would create them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from surveys.models import Invitation, InvitationStatus, Trigger
from tests.surveys.helpers import make_survey, make_ticket

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


def schedule(world, contact, survey, *, send_after=None, ticket=None, **extra) -> Invitation:
    with world.scope():
        return Invitation.objects.create(
            tenant=world.tenant, survey=survey, contact=contact, account=contact.account, ticket=ticket,
            trigger=Trigger.TICKET_RESOLVED if ticket else Trigger.API, send_after=send_after or NOW, **extra)


def sent_before(world, contact, survey, *, at: dt.datetime) -> Invitation:
    """An invitation the sender sent at ``at`` (what the budget counts)."""
    return schedule(world, contact, survey, send_after=at, status=InvitationStatus.SENT, sent_at=at,
                    expires_at=at + dt.timedelta(days=28))


def surveys(world):
    return (make_survey(world, kind="csat", name="Support CSAT"), make_survey(world, kind="nps", name="NPS"))


def resolved_ticket(world, external_id):
    with world.scope():
        ticket = make_ticket(world, external_id)
        ticket.status = "resolved"
        ticket.save()
    return ticket


def reload(world, obj):
    with world.scope():
        return type(obj).objects.get(pk=obj.pk)


__all__ = ["NOW", "schedule", "sent_before", "surveys", "reload", "resolved_ticket", "timezone"]
