"""Writes of the learner portal that are not progress (learning.progress has those): the sign-in request.

:func:`request_sign_in` issues a ``sign_in`` magic link and queues its email in the surveys' outbox
(``OutboxMessage`` without an invitation), in the contact's language; the outbox task (surveys.sending.tasks,
every minute on the beat) delivers it. The token exists in plaintext only in that email, which the outbox
blanks once delivered. The link and its email commit together, or neither does.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Contact, Tenant
from accounts.selectors import contact_by_email
from learning.links import issue_link, link_path
from learning.models import LinkPurpose
from learning.portal.strings import portal_chrome
from surveys.sending.emails import new_message_id
from surveys.sending.models import OutboxMessage
from surveys.tokens import absolute

MAX_SUBJECT = 300

def sign_in_email(*, tenant: Tenant, contact: Contact, token: str, now: dt.datetime) -> OutboxMessage:
    """The sign-in email for ``contact`` (not saved): subject and bodies in the contact's language."""
    t = portal_chrome([contact.language])
    name = " ".join(contact.name.split())
    context = {
        "language": t.language,
        "greeting": t.format("email_greeting", name=name) if name else t["email_greeting_anonymous"],
        "body": t.format("email_body", tenant=tenant.name),
        "url": absolute(link_path(token)),
        "ignore": t["email_ignore"],
    }
    # One line: a line break in a tenant's name would make the mail backend refuse the header forever.
    subject = " ".join(t.format("email_subject", tenant=tenant.name).split())[:MAX_SUBJECT]
    return OutboxMessage(tenant=tenant, invitation=None, to_email=contact.email, subject=subject,
                         body_text=render_to_string("learning/portal/sign_in_email.txt", context).strip() + "\n",
                         body_html=render_to_string("learning/portal/sign_in_email.html", context),
                         message_id=new_message_id(), next_attempt_at=now)

def request_sign_in(*, tenant: Tenant, email: str, now: dt.datetime | None = None) -> bool:
    """A sign-in link by email to the tenant's contact with ``email`` (lower case); answers whether one was
    queued. The page answers the same either way (no enumeration of addresses)."""
    contact = contact_by_email(tenant=tenant, email=email)
    if contact is None or not contact.email:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        token = issue_link(tenant=tenant, contact=contact, purpose=LinkPurpose.SIGN_IN, now=now)
        sign_in_email(tenant=tenant, contact=contact, token=token, now=now).save()
    return True
