"""Support fixtures: agents and a team in tenant A, and helpers to build tickets through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from support.models import Agent, Team
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def desk(world_a):
    with world_a.scope():
        team = Team.objects.create(tenant=world_a.tenant, name="Tier 1")
        ana = Agent.objects.create(tenant=world_a.tenant, email="ana@alpha.test", name="Ana", team=team)
        bob = Agent.objects.create(tenant=world_a.tenant, email="bob@alpha.test", name="Bob", team=team)
        yield {"world": world_a, "tenant": world_a.tenant, "team": team, "ana": ana, "bob": bob}


def make_ticket(tenant, external_id="T-1", contact="user-0", channel="email", created_at=None, **extra):
    data = TicketData(external_id=external_id, contact=contact, channel=channel, created_at=created_at or T0,
                      **extra)
    return upsert_ticket(tenant=tenant, data=data).obj


def add(tenant, ticket, external_id, *, channel="email", direction="inbound", author_type="contact", started_at,
        agent=None, **extra):
    data = InteractionData(external_id=external_id, channel=channel, direction=direction, author_type=author_type,
                           started_at=started_at, agent=agent or "", **extra)
    return append_interaction(tenant=tenant, ticket=ticket, data=data).obj
