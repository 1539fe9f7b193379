"""Shared set-up of the survey tests."""

from __future__ import annotations

from django.utils import timezone

from support.models import Ticket
from surveys.services import SurveyData, TextData, save_survey


def make_survey(world, *, kind="nps", name="Relationship NPS", is_default=False, texts=None, default_language="en"):
    with world.scope():
        return save_survey(tenant=world.tenant, survey=None, data=SurveyData(
            kind=kind, name=name, is_default=is_default, default_language=default_language,
            texts=texts or [TextData(language="en", question="Would you recommend us?")]))


def make_ticket(world, external_id="T-1"):
    contact = world.contacts[0]
    with world.scope():
        return Ticket.objects.filter(external_id=external_id).first() or Ticket.objects.create(
            tenant=world.tenant, external_id=external_id, contact=contact, account=contact.account,
            channel="email", subject="Export fails", created_at=timezone.now())
