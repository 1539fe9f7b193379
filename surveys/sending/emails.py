"""The invitation email: rendered once, when the sender issues the token (the only moment the plaintext
token exists), and stored in the outbox until delivered.

What it holds: the survey's question in the invitation's language, the scale itself (each score a
one-click link to the page with that score chosen: a table of buttons in HTML, a list in the text part),
a link to the page without a score, the expiry, and an opt-out link, repeated in a ``List-Unsubscribe``
header so mail clients offer their own unsubscribe button. Only inline styles and the survey's brand
colour: no image, font or script from anywhere (mail clients block remote assets, and they would
tell a third party who opened the email).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import make_msgid
from django.template.loader import render_to_string

from surveys import tokens
from surveys.scales import SCALES
from surveys.sending.strings import text

if TYPE_CHECKING:
    from accounts.models import Tenant
    from surveys.models import Survey


@dataclass(frozen=True)
class Email:
    subject: str
    body_text: str
    body_html: str
    headers: dict[str, str] = field(default_factory=dict)


def invitation_email(*, tenant: Tenant, survey: Survey, question: str, language: str, contact_name: str,
                     token: str, expires_at: dt.datetime) -> Email:
    scale = SCALES[survey.kind]
    links = [{"score": score, "url": tokens.absolute(tokens.answer_path(token, score)),
              "label": text("score_label", language, score=score)}
             for score in range(scale.low, scale.high + 1)]
    opt_out_url = tokens.absolute(tokens.opt_out_path(token))
    # The expiry as a date in the tenant's time zone: the reader does not need the hour.
    expires_on = expires_at.astimezone(tenant.zone).date().isoformat()
    name = " ".join(contact_name.split())
    context = {
        "language": language,
        "subject": text("subject", language, tenant=tenant.name),
        "greeting": text("greeting", language, name=name) if name else text("greeting_anonymous", language),
        "question": question,
        "choose": text("choose", language),
        "scale": links,
        "low_label": text(f"low.{survey.kind}", language),
        "high_label": text(f"high.{survey.kind}", language),
        "open_page": text("open_page", language),
        "page_url": tokens.absolute(tokens.answer_path(token)),
        "expires": text("expires", language, date=expires_on),
        "why": text("why", language, tenant=tenant.name),
        "opt_out": text("opt_out", language),
        "opt_out_url": opt_out_url,
        "colour": survey.brand_colour,
    }
    return Email(
        # One line: a line break in a tenant's name would make the mail backend refuse the header forever.
        subject=" ".join(context["subject"].split())[:300],
        body_text=render_to_string("surveys/sending/invitation_email.txt", context).strip() + "\n",
        body_html=render_to_string("surveys/sending/invitation_email.html", context),
        # RFC 8058 one-click: the mail client POSTs List-Unsubscribe=One-Click to the opt-out URL.
        headers={"List-Unsubscribe": f"<{opt_out_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def from_address(tenant: Tenant) -> str:
    """The tenant's name before the platform's sending address (customers know the vendor, not us)."""
    return formataddr((tenant.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def new_message_id() -> str:
    """A Message-ID on the sending address's domain; given when the message is queued, so a bounce can
    name it whatever happens to the delivery (and the unique constraint keeps it one per message).
    The domain is passed: Django's default asks the DNS for the host's name, which can hang a worker."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid("survey", domain=domain)
