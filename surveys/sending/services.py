"""Every write of the sending sub-domain but the outbox's delivery (surveys.sending.outbox): the tenant's
policy, the sender that turns due ``scheduled`` invitations into ``sent`` (or ``suppressed``) ones with
their email queued, and invitations asked for through the API.

The sender (:func:`send_due_invitations`) decides each invitation at the moment it is due, not when it
was scheduled: the ticket may have been reopened or merged, the contact may have opted out or been
surveyed by another kind meanwhile. Concurrency, two ways:

- rows: due invitations are taken ``FOR UPDATE SKIP LOCKED`` in chunks, one transaction per chunk, and
  the token, the status change and the outbox message commit together; a killed run loses only its open
  chunk, which is still ``scheduled`` for the next run, and never leaves a token without its email;
- decisions: the fatigue budget is a count over *other* rows, which row locks do not protect, so each
  chunk's decisions run under a transaction-level advisory lock per tenant
  (``pg_try_advisory_xact_lock``). A second run that cannot take it stops at once (the first is doing
  the work; the beat comes back in a minute), so two runs can never both see a contact as unsurveyed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from accounts.selectors import api_contact_rows
from cs_platform.tenant_rows import replace_row, row_for
from support.records.selectors import ticket_by_external_id
from surveys import tokens
from surveys.languages import resolve
from surveys.models import Survey, SurveyText
from surveys.sending import fatigue
from surveys.sending.emails import invitation_email, new_message_id
from surveys.sending.models import (
    Campaign,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    SuppressionReason,
    SurveyPolicy,
    Trigger,
)
from surveys.services import DEFAULT_TEXTS, SurveyError, _Resolver

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from accounts.models import Tenant

SEND_CHUNK = 100
# pg_try_advisory_xact_lock(class, tenant id): the sender's decisions for one tenant (any constant of ours).
SENDER_LOCK_CLASS = 12_001
POLICY_FIELDS = ("contact_cooldown_days", "account_monthly_limit", "default_language", "expiry_days",
                 "csat_on_resolution", "csat_skip_channels", "csat_skip_tags", "csat_skip_auto_resolved",
                 "csat_ask_again")


# --- the policy -------------------------------------------------------------------------------------


def policy_for(*, tenant: Tenant) -> SurveyPolicy:
    """The tenant's one policy row, created with the defaults on first use (cs_platform.tenant_rows)."""
    return row_for(SurveyPolicy, tenant=tenant)


@dataclass
class PolicyData:
    contact_cooldown_days: int
    account_monthly_limit: int | None
    default_language: str
    expiry_days: int
    csat_on_resolution: bool
    csat_skip_channels: list[str]
    csat_skip_tags: list[str]
    csat_skip_auto_resolved: bool
    csat_ask_again: bool


def save_policy(*, tenant: Tenant, data: PolicyData, by: AbstractBaseUser | None) -> SurveyPolicy:
    """Replace the policy's values, recording who changed it (``updated_at`` is the when)."""
    return replace_row(SurveyPolicy, tenant=tenant, values={name: getattr(data, name) for name in POLICY_FIELDS},
                       by=by)


# --- the sender -------------------------------------------------------------------------------------


@dataclass
class SendResult:
    sent: int = 0
    suppressed: Counter = field(default_factory=Counter)  # reason -> invitations
    busy: bool = False  # another run held the tenant's sender lock: this one stopped

    @property
    def decided(self) -> int:
        return self.sent + sum(self.suppressed.values())


def _try_sender_lock(tenant: Tenant) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [SENDER_LOCK_CLASS, tenant.pk])
        return bool(cursor.fetchone()[0])


def _ticket_reason(invitation: Invitation) -> str | None:
    ticket = invitation.ticket if invitation.ticket_id is not None else None
    if ticket is None:
        return None
    # Merged first: a merged ticket's own status says nothing about the conversation, which lives on.
    if ticket.merged_into_id is not None:
        return SuppressionReason.TICKET_MERGED
    if ticket.is_open:
        return SuppressionReason.TICKET_REOPENED
    return None


def _state_reason(invitation: Invitation) -> str | None:
    """Reasons that do not depend on the budget: the survey, the campaign, the ticket."""
    if not invitation.survey.is_active:
        return SuppressionReason.SURVEY_INACTIVE
    campaign = invitation.campaign
    if campaign is not None and campaign.status in (Campaign.Status.PAUSED, Campaign.Status.FINISHED):
        return SuppressionReason.CAMPAIGN_STOPPED
    return _ticket_reason(invitation)


def _texts(tenant: Tenant, survey_ids: set[int]) -> dict[int, dict[str, SurveyText]]:
    by_survey: dict[int, dict[str, SurveyText]] = {}
    for t in SurveyText.objects.filter(tenant=tenant, survey_id__in=survey_ids):
        by_survey.setdefault(t.survey_id, {})[t.language] = t
    return by_survey


def _issue(*, tenant: Tenant, policy: SurveyPolicy, invitation: Invitation, texts: dict[str, SurveyText],
           now: dt.datetime) -> OutboxMessage:
    """Make ``invitation`` sent: its token (hash only), language, dates, and the email that carries the token."""
    survey, contact = invitation.survey, invitation.contact
    # The contact's language, else the tenant's default, as the survey's texts allow (surveys.languages).
    requested = contact.language or policy.default_language
    language = resolve(requested, survey.default_language, texts)
    question = texts[language].question if language else DEFAULT_TEXTS[survey.kind][0]
    token, token_hash = tokens.new_token()
    invitation.status = InvitationStatus.SENT
    invitation.language = language or requested
    invitation.token_hash = token_hash
    invitation.sent_at = now
    invitation.expires_at = now + dt.timedelta(days=policy.expiry_days)
    email = invitation_email(tenant=tenant, survey=survey, question=question, language=invitation.language,
                             contact_name=contact.name, token=token, expires_at=invitation.expires_at)
    return OutboxMessage(tenant=tenant, invitation=invitation, to_email=contact.email, subject=email.subject,
                         body_text=email.body_text, body_html=email.body_html, headers=email.headers,
                         message_id=new_message_id(), next_attempt_at=now)


def _send_chunk(*, tenant: Tenant, policy: SurveyPolicy, now: dt.datetime, size: int, result: SendResult) -> int:
    """Decide one chunk of due invitations in one transaction; answers how many were decided."""
    with transaction.atomic():
        if not _try_sender_lock(tenant):
            result.busy = True
            return 0
        due = list(
            Invitation.objects.filter(tenant=tenant, status=InvitationStatus.SCHEDULED, send_after__lte=now)
            .select_related("survey", "contact", "ticket", "campaign")
            # Only the invitations are locked (a nullable join cannot be, and the contact need not be).
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("send_after", "id")[:size])
        if not due:
            return 0
        budget = fatigue.load_budget(tenant=tenant, policy=policy, now=now,
                                     contact_ids=[i.contact_id for i in due], account_ids=[i.account_id for i in due])
        texts = _texts(tenant, {i.survey_id for i in due})
        messages = []
        for invitation in due:
            reason = _state_reason(invitation) or budget.reason(
                contact_id=invitation.contact_id, account_id=invitation.account_id, email=invitation.contact.email)
            invitation.updated_at = now
            if reason:
                invitation.status = InvitationStatus.SUPPRESSED
                invitation.suppressed_reason = reason
                invitation.suppressed_at = now
                result.suppressed[reason] += 1
                continue
            messages.append(_issue(tenant=tenant, policy=policy, invitation=invitation,
                                   texts=texts.get(invitation.survey_id, {}), now=now))
            budget.spend(contact_id=invitation.contact_id, account_id=invitation.account_id)
            result.sent += 1
        Invitation.objects.bulk_update(due, ["status", "language", "token_hash", "sent_at", "expires_at",
                                             "suppressed_reason", "suppressed_at", "updated_at"])
        OutboxMessage.objects.bulk_create(messages)
    return len(due)


def send_due_invitations(*, tenant: Tenant, now: dt.datetime | None = None, limit: int = 1000) -> SendResult:
    """Decide up to ``limit`` scheduled invitations due at ``now`` (``send_after <= now``), in chunks of
    :data:`SEND_CHUNK`, each its own transaction (see the module doc): suppressed with the reason, or sent
    with the token issued and the email queued in the outbox."""
    now = now or timezone.now()
    policy = policy_for(tenant=tenant)
    result = SendResult()
    while result.decided < limit:
        if not _send_chunk(tenant=tenant, policy=policy, now=now, size=min(SEND_CHUNK, limit - result.decided),
                           result=result):
            break
    return result


# --- invitations asked for through the API --------------------------------------------------------


@dataclass
class InvitationAnswer:
    contact: str  # the external id as given
    status: str  # scheduled, suppressed, or "unknown" (no such contact)
    reason: str = ""
    invitation: int | None = None


def resolve_survey(*, tenant: Tenant, ref: str) -> Survey:
    """A survey id, or a kind meaning the tenant's default survey of it (created on first use): the same
    reading as ``POST /survey-responses``."""
    return _Resolver(tenant).survey(ref)


def invite(*, tenant: Tenant, survey_ref: str, contacts: Sequence[str] = (), ticket: str | None = None,
           send_at: dt.datetime | None = None, now: dt.datetime | None = None,
           by: AbstractBaseUser | None = None, trigger: str = Trigger.API) -> tuple[Survey, list[InvitationAnswer]]:
    """``POST /survey-invitations``: one invitation per contact (external ids, or the ticket's contact),
    answered per contact. The budget is checked *now* (and again by the sender when it is due): a contact
    it refuses gets a ``suppressed`` row with the reason, the others a ``scheduled`` one for ``send_at``
    (default now). Contacts scheduled earlier in the same request count against the budget as if sent,
    so the answer for a list is what the sender would do with it. Nothing is written on a bad field.
    The answer is a forecast taken without the sender's lock: the sender's decision when due is final."""
    now = now or timezone.now()
    ticket_row = None
    if ticket is not None:
        ticket_row = ticket_by_external_id(tenant=tenant, external_id=ticket)
        if ticket_row is None:
            raise SurveyError("ticket", "no ticket with this external_id")
        if ticket_row.contact_id is None:
            raise SurveyError("ticket", "this ticket has no contact to invite")
        contacts = [ticket_row.contact.external_id]
    # After the ticket's check: a kind's default survey is created on first use, not for a refused request.
    survey = resolve_survey(tenant=tenant, ref=survey_ref)
    wanted = list(dict.fromkeys(contacts))  # a contact named twice is invited once
    found = {c.external_id: c for c in api_contact_rows(tenant=tenant).filter(external_id__in=wanted)}
    policy = policy_for(tenant=tenant)
    # The sender would refuse an open or merged ticket's invitation when due; say so now.
    ticket_reason = _ticket_reason(Invitation(ticket=ticket_row)) if ticket_row is not None else None
    answers, rows = [], []
    with transaction.atomic():
        budget = fatigue.load_budget(tenant=tenant, policy=policy, now=now,
                                     contact_ids=[c.pk for c in found.values()],
                                     account_ids=[c.account_id for c in found.values()])
        for external_id in wanted:
            contact = found.get(external_id)
            if contact is None:
                answers.append(InvitationAnswer(contact=external_id, status="unknown",
                                                reason="no contact with this external_id"))
                continue
            reason = (SuppressionReason.SURVEY_INACTIVE if not survey.is_active else "") or ticket_reason \
                or budget.reason(contact_id=contact.pk, account_id=contact.account_id, email=contact.email)
            if reason:
                row = Invitation(status=InvitationStatus.SUPPRESSED, suppressed_reason=reason, suppressed_at=now)
            else:
                row = Invitation(status=InvitationStatus.SCHEDULED)
                budget.spend(contact_id=contact.pk, account_id=contact.account_id)
            row.tenant, row.survey, row.contact, row.account_id = tenant, survey, contact, contact.account_id
            row.ticket, row.trigger, row.send_after, row.created_by = ticket_row, trigger, send_at or now, by
            rows.append(row)
            answers.append(InvitationAnswer(contact=external_id, status=row.status, reason=reason or ""))
        Invitation.objects.bulk_create(rows)
    by_contact = {row.contact.external_id: row.pk for row in rows}
    for answer in answers:
        answer.invitation = by_contact.get(answer.contact)
    return survey, answers
