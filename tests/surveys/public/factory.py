"""Sent invitations with a known token, as the sender (issue 12, another step) will make them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from surveys.models import Survey
from surveys.sending.models import Invitation, InvitationStatus, Trigger
from surveys.services import SurveyData, TextData, save_survey
from surveys.tokens import new_token


@dataclass
class Link:
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return f"/s/{self.token}/"

    @property
    def opt_out_url(self) -> str:
        return f"/s/{self.token}/opt-out/"


TEXTS = {
    "en": TextData(language="en", question="How did we do?", followup_low="What should we fix?",
                   followup_mid="What would make it better?", followup_high="What did you like?",
                   thank_you="Thanks a lot!"),
    "tr": TextData(language="tr", question="Nasıldık?", followup_low="Neyi düzeltmeliyiz?",
                   followup_mid="Ne daha iyi olurdu?", followup_high="Neyi beğendiniz?", thank_you="Çok teşekkürler!"),
}


def make_survey(world, *, kind: str = "csat", languages=("en", "tr"), brand_colour: str = "#aa3300") -> Survey:
    with world.scope():
        return save_survey(tenant=world.tenant, survey=None, data=SurveyData(
            kind=kind, name=f"{kind} survey", brand_colour=brand_colour,
            texts=[TEXTS[language] for language in languages]))


def make_link(world, *, survey: Survey | None = None, kind: str = "csat", contact=None, ticket=None,
              language: str = "en", sent_ago: dt.timedelta = dt.timedelta(hours=1),
              expires_in: dt.timedelta = dt.timedelta(days=28), status: str = InvitationStatus.SENT) -> Link:
    survey = survey or make_survey(world, kind=kind)
    contact = contact or world.contacts[0]
    token, token_hash = new_token()
    now = timezone.now()
    with world.scope():
        invitation = Invitation.objects.create(
            tenant=world.tenant, survey=survey, contact=contact, account=contact.account, ticket=ticket,
            trigger=Trigger.TICKET_RESOLVED if ticket else Trigger.STAFF, status=status, send_after=now - sent_ago,
            language=language, token_hash=token_hash, sent_at=now - sent_ago, expires_at=now + expires_in,
            **({"suppressed_reason": "contact_cooldown", "suppressed_at": now} if status == "suppressed" else {}))
    return Link(invitation=invitation, token=token)
