"""The desk's contributions to the role-aware home (accounts.workspace), registered from
``SupportConfig.ready``: the agent's queue and SLA warnings, the portfolio's tickets by SLA state, and the
CSM's per-account ticket columns. Reads go through support's own selectors; accounts never reads tickets."""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from accounts.workspace import registry
from accounts.workspace.sections import PORTFOLIO_ROLES
from support.desk import selectors

SLA_STATE_DEFINITION = (
    "An open ticket's SLA state is the worst of its running clocks (first response, next response, resolution): "
    "breached = past its due time; due soon = within its warning window (15 minutes, or 20% of the target "
    "when longer) before the due time; on track = otherwise; no SLA = no due time at all."
)
DEFINITIONS = {
    "queue": "Tickets assigned to you that are neither resolved nor closed, latest activity (any change) first.",
    "warnings": "Your open tickets whose SLA state is breached or due soon, the earliest running due time first. "
                + SLA_STATE_DEFINITION,
    "by_state": "Open tickets (neither resolved nor closed) of the tenant, by SLA state. " + SLA_STATE_DEFINITION,
    "open_tickets": "The account's tickets that are neither resolved nor closed.",
    "last_ticket_activity": "The latest start of an interaction (a message, a call, a note) on any ticket of the "
                            "account.",
}


def _agent(ctx: registry.HomeContext):
    """The user's agent record, read once for the queue and the warnings together."""
    if "agent" not in ctx.memo:
        ctx.memo["agent"] = selectors.agent_of_user(tenant=ctx.tenant, user=ctx.user)
    return ctx.memo["agent"]


def _queue(ctx: registry.HomeContext) -> dict[str, Any]:
    agent = _agent(ctx)
    queue = selectors.agent_queue(tenant=ctx.tenant, agent=agent, now=ctx.now) if agent else None
    return {"agent": agent, "queue": queue, "sla_states": selectors.SLA_STATES, "definitions": DEFINITIONS}


def _warnings(ctx: registry.HomeContext) -> dict[str, Any]:
    agent = _agent(ctx)
    tickets = selectors.agent_sla_warnings(tenant=ctx.tenant, agent=agent, now=ctx.now) if agent else []
    return {"agent": agent, "tickets": tickets, "sla_states": selectors.SLA_STATES, "definitions": DEFINITIONS}


def _by_state(ctx: registry.HomeContext) -> dict[str, Any]:
    counts = selectors.open_tickets_by_sla_state(tenant=ctx.tenant, now=ctx.now)
    return {"states": [(state, selectors.SLA_STATES[state], n) for state, n in counts.items()],
            "total": sum(counts.values()), "definitions": DEFINITIONS}


def register() -> None:
    agents = frozenset({Role.AGENT})
    registry.register_section(registry.HomeSection(
        key="queue", title="My queue", roles=agents, template="support/home/_queue.html", load=_queue, order=10))
    registry.register_section(registry.HomeSection(
        key="sla-warnings", title="SLA warnings", roles=agents, template="support/home/_sla_warnings.html",
        load=_warnings, order=20))
    registry.register_section(registry.HomeSection(
        key="tickets-by-sla", title="Open tickets by SLA state", roles=PORTFOLIO_ROLES,
        template="support/home/_by_sla_state.html", load=_by_state, order=30))
    registry.register_account_column(registry.AccountColumn(
        key="open-tickets", label="Open tickets", definition=DEFINITIONS["open_tickets"],
        load=selectors.open_tickets_by_account, kind="count", order=10, missing=0))
    registry.register_account_column(registry.AccountColumn(
        key="last-ticket-activity", label="Last ticket activity", definition=DEFINITIONS["last_ticket_activity"],
        load=selectors.last_ticket_activity_by_account, kind="time", order=20))
