"""Writes of the public page (keyword-only, typed, atomic): the contact's answer, the first visit, the
opt-out.

One response per invitation: :func:`answer_invitation` locks the invitation's row before it looks for the
response, so two submits at once run one after the other (the second finds the first's response and edits
it); the unique constraint (tenant, invitation) backs that up. Decisions, also in the README:

- ``submitted_at`` is the time of the first answer and stays when the answer is edited: the response is
  counted in the period it was first given (METRICS.md counts responses "submitted in the period"), and
  an edit does not move it into another month; ``updated_at`` tells when it last changed.
- ``source`` is where the stored values last came from: ``email`` for a score clicked in the email and
  never submitted from the page, ``page`` once the page's form was sent.
- the response's account is the contact's account at the time of the answer (reports group by it),
  its ticket the invitation's, its language the invitation's.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from health.scores.dirty import mark_dirty
from surveys.models import SurveyResponse
from surveys.public.selectors import is_expired
from surveys.scales import SCALES, score_error
from surveys.sending.models import Invitation, InvitationStatus, OptOut
from surveys.services import follow_up_on_commit

ANSWERABLE = (InvitationStatus.SENT, InvitationStatus.ANSWERED)


class AnswerRefused(ValueError):
    """The answer cannot be taken: ``field`` and the page catalog's ``key`` say why."""

    def __init__(self, field: str, key: str, params: dict | None = None) -> None:
        super().__init__(key)
        self.field, self.key, self.params = field, key, params or {}


def answer_invitation(*, invitation: Invitation, score: int, comment: str | None, followup_answer: str | None,
                      source: str, now: dt.datetime) -> SurveyResponse:
    """Create or edit the invitation's one response and mark the invitation answered.

    ``comment`` / ``followup_answer`` None keep what is stored (a score clicked in the email says nothing
    about them). Refused (:class:`AnswerRefused`) once the link has expired or for a score off the scale."""
    if score_error(invitation.survey.kind, score):
        scale = SCALES[invitation.survey.kind]
        raise AnswerRefused("score", "error_range", {"low": scale.low, "high": scale.high})
    with transaction.atomic():
        locked = (Invitation.objects.select_for_update(of=("self",)).select_related("contact")
                  .get(tenant_id=invitation.tenant_id, pk=invitation.pk))
        if locked.status not in ANSWERABLE or is_expired(locked, now=now):
            raise AnswerRefused("token", "error_expired")
        response = SurveyResponse.objects.filter(tenant_id=locked.tenant_id, invitation=locked).first()
        values = {"score": score, "source": source}
        if comment is not None:
            values["comment"] = comment
        if followup_answer is not None:
            values["followup_answer"] = followup_answer
        if response is None:
            response = SurveyResponse.objects.create(
                tenant_id=locked.tenant_id, invitation=locked, survey_id=locked.survey_id,
                contact_id=locked.contact_id, account_id=locked.contact.account_id, ticket_id=locked.ticket_id,
                language=locked.language, submitted_at=now, **{"comment": "", "followup_answer": "", **values})
        elif any(getattr(response, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(response, name, value)
            response.save(update_fields=[*values, "updated_at"])
        if locked.status != InvitationStatus.ANSWERED:
            locked.status = InvitationStatus.ANSWERED
            locked.save(update_fields=["status", "updated_at"])
        invitation.status = locked.status
        # The closed loop: a low answer (or an edit that makes it low) opens the CSM's follow-up task.
        follow_up_on_commit(tenant=invitation.tenant, response_ids=[response.pk])
        mark_dirty(tenant=invitation.tenant, account_ids=[response.account_id])  # NPS and CSAT are health inputs
    return response


def mark_opened(*, invitation: Invitation, now: dt.datetime) -> None:
    """The first visit of the page, once: a conditional update, so two first visits at once stamp one time."""
    if invitation.opened_at is not None:
        return
    Invitation.objects.filter(tenant_id=invitation.tenant_id, pk=invitation.pk, opened_at__isnull=True) \
        .update(opened_at=now)
    invitation.opened_at = now


def opt_out(*, invitation: Invitation, source: str) -> bool:
    """The contact asks for no more survey emails; idempotent (True when this call recorded it). Taken at
    any time, expired link included: a person who wants no more mail must always be able to say so."""
    with transaction.atomic():
        _, created = OptOut.objects.get_or_create(tenant_id=invitation.tenant_id, contact_id=invitation.contact_id,
                                                  defaults={"source": source})
    return created
