"""Builders for the agent-desk tests (inbox, ticket page, macros, callbacks). Records are written
through the support services, as the pages do; call them inside the tenant's scope."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from support.models import Agent, Team
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket


def build_agents(tenant) -> dict:
    team = Team.objects.create(tenant=tenant, name="Tier 1")
    other_team = Team.objects.create(tenant=tenant, name="Tier 2")
    ana = Agent.objects.create(tenant=tenant, email="ana@alpha.test", name="Ana Agent", team=team)
    bob = Agent.objects.create(tenant=tenant, email="bob@alpha.test", name="Bob Agent", team=other_team)
    return {"team": team, "other_team": other_team, "ana": ana, "bob": bob}


def ago(minutes: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def make_ticket(tenant, external_id: str, *, contact: str = "user-0", channel: str = "email", **extra):
    data = TicketData(external_id=external_id, contact=contact, channel=channel, **{"created_at": ago(60), **extra})
    return upsert_ticket(tenant=tenant, data=data).obj


def add_interaction(tenant, ticket, external_id: str, *, started_at, channel: str = "email",
                    direction: str = "inbound", author_type: str = "contact", agent: str = "", **extra):
    data = InteractionData(external_id=external_id, channel=channel, direction=direction, author_type=author_type,
                           started_at=started_at, agent=agent, **extra)
    return append_interaction(tenant=tenant, ticket=ticket, data=data).obj


@contextmanager
def count_queries():
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
