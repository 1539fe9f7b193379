"""The email outbox: delivery through Django's mail backend with retries, and bounces reported back.

Delivery (:func:`deliver_outbox`) takes one due ``pending`` message at a time ``FOR UPDATE SKIP LOCKED``, in
its own transaction, and hands it to the backend inside that transaction. So two workers never take one
message, and a worker killed after some messages left the committed ones ``sent`` and the rest
``pending``: a re-run sends the rest and none twice. The one window left is a kill between the mail
server's acceptance and the commit (that message goes again: at-least-once, as with any SMTP client).

- success: ``sent``, ``sent_at``; the body and headers are blanked (they hold the plaintext token, stored
  nowhere else: surveys.sending.models' docstring);
- failure: ``attempts`` + 1, ``last_error`` (bounded), ``next_attempt_at`` after :data:`BACKOFF_MINUTES`;
  after :data:`MAX_ATTEMPTS` failures it gives up: ``failed``, body blanked too (the link will never
  reach anyone, and must not wait in the database).

Bounces (:func:`record_bounces`, ``POST /api/v1/email-bounces``): the message named by its Message-ID
becomes ``bounced`` with the reason and time. Its invitation stays ``sent``: the response rate is over
invitations sent (METRICS.md), and a bounce is a fact about the email, shown beside it (the outbox page,
and reports can count bounced messages separately); the fatigue budget still counts it as a survey sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from cs_platform.bulk import BulkResult, validate_batch
from surveys.sending.emails import Email, from_address, new_message_id
from surveys.sending.inputs import BounceItem
from surveys.sending.models import OutboxMessage

if TYPE_CHECKING:
    from accounts.models import Tenant

# Minutes before the 2nd, 3rd, ... attempt; the attempt after the last gap is the last one.
BACKOFF_MINUTES = (1, 5, 30, 120, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
MAX_ERROR = 500
DELIVERY_BATCH = 200


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _blank(message: OutboxMessage) -> None:
    message.body_text = ""
    message.body_html = ""
    message.headers = {}


def _send(message: OutboxMessage, *, tenant: Tenant, backend: Any) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text, from_email=from_address(tenant), to=[message.to_email],
        headers={**message.headers, "Message-ID": message.message_id}, connection=backend)
    email.attach_alternative(message.body_html, "text/html")
    email.send()


def _fail(message: OutboxMessage, exc: Exception, now: dt.datetime) -> str:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.FAILED
        _blank(message)
        return "failed"
    message.next_attempt_at = now + dt.timedelta(minutes=BACKOFF_MINUTES[message.attempts - 1])
    return "retrying"


def deliver_outbox(*, tenant: Tenant, now: dt.datetime | None = None, limit: int = DELIVERY_BATCH) -> DeliveryResult:
    """Hand up to ``limit`` due pending messages to the mail backend, one transaction per message."""
    now = now or timezone.now()
    result = DeliveryResult()
    backend = get_connection()
    # One SMTP connection for the run, not one per message; if it cannot open, each send tries again and
    # records its own failure.
    with contextlib.suppress(Exception):
        backend.open()
    try:
        return _deliver(tenant=tenant, now=now, limit=limit, backend=backend, result=result)
    finally:
        backend.close()


def _deliver(*, tenant: Tenant, now: dt.datetime, limit: int, backend: Any, result: DeliveryResult) -> DeliveryResult:
    for _ in range(limit):
        with transaction.atomic():
            message = (OutboxMessage.objects
                       .filter(tenant=tenant, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
                       .select_for_update(skip_locked=True).order_by("next_attempt_at", "id").first())
            if message is None:
                break
            try:
                _send(message, tenant=tenant, backend=backend)
            except Exception as exc:  # noqa: BLE001 (any backend failure is recorded and retried)
                backend.close()  # a dropped connection would fail every later message: the next send reopens it
                outcome = _fail(message, exc, now)
                setattr(result, outcome, getattr(result, outcome) + 1)
            else:
                message.status = OutboxMessage.Status.SENT
                message.attempts += 1
                message.sent_at = now
                message.last_error = ""
                _blank(message)
                result.sent += 1
            message.save()
    return result


# --- bounces ------------------------------------------------------------------------------------------


def record_bounces(*, tenant: Tenant, items: Sequence[Any], now: dt.datetime | None = None) -> BulkResult:
    """Mark the named messages bounced; a repeat with the same values is a duplicate, an unknown
    Message-ID is rejected by its index."""
    now = now or timezone.now()
    result = BulkResult()
    clean = validate_batch(BounceItem, items, result, key="message_id")
    with transaction.atomic():
        messages = {m.message_id: m for m in OutboxMessage.objects.filter(
            tenant=tenant, message_id__in=[d["message_id"] for d in clean.values()]).select_for_update()}
        changed = []
        for index, data in clean.items():
            message = messages.get(data["message_id"])
            if message is None:
                result.reject(index, [{"field": "message_id", "message": "no email with this Message-ID"}])
                continue
            values = {"status": OutboxMessage.Status.BOUNCED, "bounce_reason": data["reason"],
                      "bounced_at": data.get("bounced_at") or message.bounced_at or now}
            if all(getattr(message, k) == v for k, v in values.items()):
                result.tally("duplicate")
                continue
            for name, value in values.items():
                setattr(message, name, value)
            # A bounce reported before our own delivery was recorded: the body must not stay either.
            _blank(message)
            message.updated_at = now
            changed.append(message)
            result.tally("updated")
        OutboxMessage.objects.bulk_update(changed, ["status", "bounce_reason", "bounced_at", "body_text",
                                                    "body_html", "headers", "updated_at"])
    return result


# --- emails of other apps -------------------------------------------------------------------------------


def queue_emails(*, tenant: Tenant, emails: Sequence[tuple[str, Email]], now: dt.datetime | None = None) -> int:
    """Queue emails that belong to no invitation (the learning app's invitations and reminders), in the
    caller's transaction and one insert: delivered, retried, blanked and bounced like survey emails.
    ``emails`` are ``(to_email, Email)`` pairs; answers how many were queued."""
    now = now or timezone.now()
    OutboxMessage.objects.bulk_create([
        OutboxMessage(tenant=tenant, invitation=None, to_email=to_email, subject=email.subject,
                      body_text=email.body_text, body_html=email.body_html, headers=email.headers,
                      message_id=new_message_id(), next_attempt_at=now)
        for to_email, email in emails])
    return len(emails)
