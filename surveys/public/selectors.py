"""Reads of the public page, inside the invitation's tenant scope: the survey's words for the reader, the
invitation's response, whether the contact opted out, and what the page may say about the ticket."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from surveys.branding.selectors import logo_of, public_path
from surveys.models import SurveyResponse, SurveyText
from surveys.selectors import text_for
from surveys.sending.models import DEFAULT_EXPIRY_DAYS, Invitation, OptOut

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#1f6feb"


@dataclass(frozen=True)
class PageState:
    text: SurveyText | None
    response: SurveyResponse | None
    opted_out: bool
    ticket_subject: str
    brand_colour: str
    logo_url: str | None


def expires_at(invitation: Invitation) -> dt.datetime | None:
    """When the link stops taking answers. The sender always sets ``expires_at``; a sent invitation without
    one still expires, counted from ``sent_at`` with the default expiry, rather than never."""
    if invitation.expires_at is not None:
        return invitation.expires_at
    if invitation.sent_at is not None:
        return invitation.sent_at + dt.timedelta(days=DEFAULT_EXPIRY_DAYS)
    return None


def is_expired(invitation: Invitation, *, now: dt.datetime) -> bool:
    until = expires_at(invitation)
    return until is None or now >= until


def invitation_response(*, invitation: Invitation) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(tenant_id=invitation.tenant_id, invitation=invitation).first()


def is_opted_out(*, invitation: Invitation) -> bool:
    return OptOut.objects.filter(tenant_id=invitation.tenant_id, contact_id=invitation.contact_id).exists()


def ticket_subject(invitation: Invitation) -> str:
    """The ticket's subject, shown only when the ticket is the contact's own request: after a merge or a
    hand-made invitation the ticket may be someone else's, and nothing about other people is shown."""
    ticket = invitation.ticket
    if ticket is None or ticket.contact_id != invitation.contact_id:
        return ""
    return ticket.subject


def brand_colour(invitation: Invitation) -> str:
    """The survey's colour; it goes into a <style> block, so only a #rrggbb ever does, whatever the row holds."""
    colour = invitation.survey.brand_colour
    return colour if COLOUR.match(colour or "") else DEFAULT_COLOUR


def page_state(*, invitation: Invitation) -> PageState:
    """Everything the answer page shows beyond the invitation itself (four queries)."""
    return PageState(
        text=text_for(tenant=invitation.tenant, survey=invitation.survey, language=invitation.language or None),
        response=invitation_response(invitation=invitation),
        opted_out=is_opted_out(invitation=invitation),
        ticket_subject=ticket_subject(invitation),
        brand_colour=brand_colour(invitation),
        logo_url=survey_logo_url(invitation),
    )


def survey_logo_url(invitation: Invitation) -> str | None:
    """The survey's logo (surveys.branding), or None: one query, the image bytes left out."""
    logo = logo_of(tenant=invitation.tenant, survey=invitation.survey)
    return public_path(tenant=invitation.tenant, logo=logo) if logo is not None else None
