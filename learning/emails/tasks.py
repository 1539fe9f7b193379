"""Celery tasks of the learning emails: the beat's fan-out, then per tenant the invitations and reminders
queued in the surveys' outbox and the outbox delivered (thin: a tenant id, then the services)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from learning.emails.services import send_learning_emails
from surveys.sending.outbox import deliver_outbox


@shared_task(name="learning.emails.tasks.send_learning_emails_all_tenants")
def send_learning_emails_all_tenants() -> int:
    return fan_out_per_tenant(send_learning_emails_for_tenant)


@shared_task(name="learning.emails.tasks.send_learning_emails_for_tenant")
@tenant_task
def send_learning_emails_for_tenant(tenant_id: int) -> dict:
    """Queue the due emails, then deliver the outbox at once (the surveys' minute beat would deliver them
    too; delivering here means an invitation does not wait for it)."""
    tenant = current_tenant()
    result = send_learning_emails(tenant=tenant, now=timezone.now())
    delivered = deliver_outbox(tenant=tenant, now=timezone.now())
    return {**result, "delivered": delivered.sent}
