"""Access helpers for support objects (DESIGN.md rule 4): one tenant's object, or the same 404."""

from __future__ import annotations

from accounts.access import fetch_one
from accounts.models import Tenant
from support.models import Agent, Interaction, Team, Ticket

TICKET_RELATED = ("account", "contact", "assignee", "team", "first_responder", "resolved_assignee", "merged_into")


def get_ticket_for_tenant(tenant: Tenant, *, pk: int | None = None, external_id: str | None = None) -> Ticket:
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    return fetch_one(Ticket.objects.filter(tenant=tenant).select_related(*TICKET_RELATED), "ticket", **lookup)


def get_interaction_for_tenant(tenant: Tenant, *, pk: int | None = None,
                               external_id: str | None = None) -> Interaction:
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    return fetch_one(Interaction.objects.filter(tenant=tenant).select_related("ticket", "agent"), "interaction",
                     **lookup)


def get_agent_for_tenant(tenant: Tenant, *, pk: int) -> Agent:
    return fetch_one(Agent.objects.filter(tenant=tenant).select_related("team", "user"), "agent", pk=pk)


def get_active_agent_for_tenant(tenant: Tenant, *, pk: int | str) -> Agent:
    """An agent that may still be given tickets (the desk's assignment choices)."""
    return fetch_one(Agent.objects.filter(tenant=tenant, is_active=True), "agent", pk=pk)


def get_team_for_tenant(tenant: Tenant, *, pk: int) -> Team:
    return fetch_one(Team.objects.filter(tenant=tenant), "team", pk=pk)
