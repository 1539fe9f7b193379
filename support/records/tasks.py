"""Celery tasks of the records: the new-ticket hook (SLA due times, knowledge-base qualification)
and its catch-up. Thin, taking ``(tenant_id, ids...)``; fan-out tasks only enqueue one task per tenant.

Task names keep the paths they had before the sub-domain packages (``support.tasks.*``): queued
messages and beat entries name them."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from support.knowledge import services as knowledge_services
from support.records import selectors
from support.sla.services import apply_sla

# Tickets created this recently without a policy or suggestions are retried by the catch-up task.
CATCH_UP_WINDOW = dt.timedelta(hours=2)


@shared_task(name="support.tasks.process_new_ticket")
@tenant_task
def process_new_ticket(tenant_id: int, ticket_id: int) -> None:
    """After a ticket is created: stamp its SLA due times, then qualify it against the knowledge base."""
    ticket = selectors.new_ticket(tenant=current_tenant(), pk=ticket_id)
    if ticket is None:
        return
    apply_sla(ticket=ticket)
    knowledge_services.qualify_ticket(ticket=ticket)


@shared_task(name="support.tasks.catch_up_new_tickets_all_tenants")
def catch_up_new_tickets_all_tenants() -> int:
    return fan_out_per_tenant(catch_up_new_tickets)


@shared_task(name="support.tasks.catch_up_new_tickets")
@tenant_task
def catch_up_new_tickets(tenant_id: int) -> int:
    """Safety net for the creation hook (a lost task, a ticket written by a path without the hook):
    recent tickets with neither an SLA policy nor suggestions go through process_new_ticket again.
    Tickets that match no policy and no article are simply retried until they leave the window."""
    since = timezone.now() - CATCH_UP_WINDOW
    pending = selectors.unprocessed_ticket_ids(tenant=current_tenant(), since=since, limit=1000)
    for ticket_id in pending:
        process_new_ticket.delay(tenant_id, ticket_id)
    return len(pending)
