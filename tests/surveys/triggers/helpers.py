"""Shared set-up of the trigger tests: tickets resolved through support's services, so the history rows
(and the auto-resolved rule that reads them) are the real ones."""

from __future__ import annotations

import datetime as dt

from support.models import Agent
from support.records.data import StatusData, TicketData
from support.records.services.tickets import change_status, upsert_ticket

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def ticket(world, external_id="T-1", *, contact="user-0", channel="email", tags=(), created_at=None):
    data = TicketData(external_id=external_id, contact=contact, channel=channel,
                      created_at=created_at or NOW - hours(48), tags=list(tags))
    return upsert_ticket(tenant=world.tenant, data=data).obj


def agent_of(world) -> Agent:
    found = Agent.objects.filter(email="ana@alpha.test").first()
    return found or Agent.objects.create(tenant=world.tenant, email="ana@alpha.test", name="Ana")


def set_status(world, t, status, at, *, by_agent=True):
    agent = agent_of(world) if by_agent else None
    change_status(tenant=world.tenant, ticket=t, data=StatusData(status=status, changed_at=at), agent=agent)
