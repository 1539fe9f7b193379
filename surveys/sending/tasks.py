"""Celery tasks of sending: the beat's fan-out every minute, and per tenant the sender then the outbox.
Thin: they take a tenant id and call the services (no long countdowns: a due invitation waits in the
database, and the next beat finds it)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from surveys.sending.outbox import deliver_outbox
from surveys.sending.services import send_due_invitations


@shared_task(name="surveys.sending.tasks.send_surveys_all_tenants")
def send_surveys_all_tenants() -> int:
    return fan_out_per_tenant(send_surveys)


@shared_task(name="surveys.sending.tasks.send_surveys")
@tenant_task
def send_surveys(tenant_id: int) -> dict:
    """Due invitations become emails in the outbox, then the outbox is delivered: one run does both, so an
    invitation due now is in the customer's inbox within a minute."""
    tenant = current_tenant()
    sent = send_due_invitations(tenant=tenant, now=timezone.now())
    delivered = deliver_outbox(tenant=tenant, now=timezone.now())
    return {"sent": sent.sent, "suppressed": dict(sent.suppressed), "busy": sent.busy,
            "delivered": delivered.sent, "retrying": delivered.retrying, "failed": delivered.failed}
