"""Transactional CSAT: a ticket's resolution schedules an invitation ``delay_hours`` later (the tenant's
default CSAT survey), or records it suppressed with the skip rule that stopped it.

One set-based sweep per tenant, run every minute by beat (surveys.triggers.tasks), instead of a Celery
countdown per ticket: a countdown of 24 hours lives in the broker, is lost with it, and cannot be
cancelled when the ticket reopens. The sweep is idempotent: the invitations it writes are keyed by
``(ticket, resolution_at)`` (unique constraint ``surveys_invitation_one_per_resolution``) and inserted with
ON CONFLICT DO NOTHING, and tickets that already have one for their last resolution are not read again.

Rules, in this order (the first that applies wins, so each suppressed row carries one reason):

- ``csat_on_resolution`` off: nothing at all (the tenant does not use transactional CSAT).
- Only resolutions within :data:`LOOKBACK` of now: an import of years of history must never email those
  customers; a resolution older than that is history, not a contact to ask about.
- A later resolution of a ticket whose customer was already asked (an invitation ``sent`` or
  ``answered`` for an earlier resolution): only with ``csat_ask_again``; otherwise nothing. An earlier
  invitation that was never sent (cancelled when the ticket reopened, or suppressed) does not count: the
  customer was not asked.
- ``skipped_by_agent`` (a SkippedTicket), ``skipped_channel`` (the ticket's channel in
  ``csat_skip_channels``), ``skipped_tag`` (a tag in ``csat_skip_tags``), ``auto_resolved`` (with
  ``csat_skip_auto_resolved``: no status row of the last resolution names an agent or a person,
  support.records.selectors.recently_resolved_tickets), ``survey_inactive`` (the default CSAT survey is
  deactivated): a ``suppressed`` row with that reason, so every suppressed send is counted and shown.
- Otherwise ``scheduled``, ``send_after`` = ``last_resolved_at`` + the survey's ``delay_hours``.

Cancelling, in the same sweep: a ``scheduled`` ticket invitation whose ticket was merged becomes
``suppressed(ticket_merged)``; one whose ticket is open again, or was resolved again later (so it was
reopened in between), ``suppressed(ticket_reopened)``. The sender re-checks the same at send time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from support.models import TicketStatus
from support.records.selectors import recently_resolved_tickets
from surveys.models import Invitation, InvitationStatus, SkippedTicket, SuppressionReason, SurveyPolicy, Trigger
from surveys.scales import Kind
from surveys.sending.services import policy_for
from surveys.services import default_survey

if TYPE_CHECKING:
    from accounts.models import Tenant

LOOKBACK = dt.timedelta(days=7)
BATCH = 2000  # tickets per sweep; the rest are next minute's (the sweep re-queues nothing itself)
ASKED = (InvitationStatus.SENT, InvitationStatus.ANSWERED)
FINISHED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def schedule_resolved_tickets(*, tenant: Tenant, now: dt.datetime) -> int:
    """Cancel what reopened or merged tickets no longer need, then write one invitation per new
    resolution (module docstring). Answers how many invitations were written (scheduled or suppressed)."""
    policy = policy_for(tenant=tenant)
    with transaction.atomic():
        # The policy row's lock makes two sweeps of one tenant (beat fired twice, a slow worker) take turns.
        policy = SurveyPolicy.objects.select_for_update().get(tenant=tenant, pk=policy.pk)
        cancel_invitations_of_changed_tickets(tenant=tenant, now=now)
        if not policy.csat_on_resolution:
            return 0
        tickets = _candidates(tenant=tenant, now=now, ask_again=policy.csat_ask_again)
        if not tickets:
            return 0
        survey = default_survey(tenant=tenant, kind=Kind.CSAT)
        delay = dt.timedelta(hours=survey.delay_hours)
        skip_channels, skip_tags = set(policy.csat_skip_channels), set(policy.csat_skip_tags)
        rows = []
        for ticket in tickets:
            if ticket.skipped:
                reason = SuppressionReason.SKIPPED_BY_AGENT
            elif ticket.channel in skip_channels:
                reason = SuppressionReason.SKIPPED_CHANNEL
            elif skip_tags.intersection(ticket.tags):
                reason = SuppressionReason.SKIPPED_TAG
            elif policy.csat_skip_auto_resolved and ticket.auto_resolved:
                reason = SuppressionReason.AUTO_RESOLVED
            elif not survey.is_active:
                reason = SuppressionReason.SURVEY_INACTIVE
            else:
                reason = ""
            rows.append(Invitation(
                tenant=tenant, survey=survey, contact_id=ticket.contact_id, account_id=ticket.contact_account_id,
                ticket_id=ticket.pk, resolution_at=ticket.last_resolved_at, trigger=Trigger.TICKET_RESOLVED,
                send_after=ticket.last_resolved_at + delay,
                status=InvitationStatus.SUPPRESSED if reason else InvitationStatus.SCHEDULED,
                suppressed_reason=reason, suppressed_at=now if reason else None))
        # ON CONFLICT DO NOTHING as well: a row written by any other path for the same resolution stands.
        Invitation.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _candidates(*, tenant: Tenant, now: dt.datetime, ask_again: bool) -> list:
    """Resolved tickets within the lookback without an invitation for their last resolution, with
    ``skipped`` (an agent's skip), ``auto_resolved`` and ``contact_account_id``: one query."""
    of_ticket = Invitation.objects.filter(tenant=tenant, ticket=OuterRef("pk"), trigger=Trigger.TICKET_RESOLVED)
    tickets = (
        recently_resolved_tickets(tenant=tenant, since=now - LOOKBACK)
        .exclude(Exists(of_ticket.filter(resolution_at=OuterRef("last_resolved_at"))))
        .annotate(skipped=Exists(SkippedTicket.objects.filter(tenant=tenant, ticket=OuterRef("pk"))))
    )
    if not ask_again:
        tickets = tickets.exclude(Exists(of_ticket.filter(status__in=ASKED)))
    return list(tickets.only("pk", "contact_id", "channel", "tags", "last_resolved_at")[:BATCH])


def cancel_invitations_of_changed_tickets(*, tenant: Tenant, now: dt.datetime) -> int:
    """``scheduled`` ticket invitations whose ticket was merged, reopened, or resolved again since:
    suppressed with the reason (module docstring). Two UPDATEs; answers how many changed."""
    scheduled = Invitation.objects.filter(tenant=tenant, status=InvitationStatus.SCHEDULED,
                                          trigger=Trigger.TICKET_RESOLVED, ticket__isnull=False)
    merged = scheduled.filter(ticket__merged_into__isnull=False).update(
        status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.TICKET_MERGED, suppressed_at=now,
        updated_at=now)
    reopened = scheduled.filter(
        ~Q(ticket__status__in=FINISHED) | ~Q(resolution_at=F("ticket__last_resolved_at"))
    ).update(status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.TICKET_REOPENED,
             suppressed_at=now, updated_at=now)
    return merged + reopened
