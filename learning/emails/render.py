"""The learning emails, rendered when their magic link is issued (the only moment its plaintext token exists)
and stored in the surveys' outbox until delivered (the outbox blanks the body then).

One email per contact per run, whatever the number of paths: an invitation lists the paths the contact was
enrolled in since the last email, a reminder the stalled paths with their progress. Its one button is the
magic link (single use, expiring: learning.links); the sign-in page's address, which holds no secret, is
given for when that link has expired. Inline styles only and nothing fetched from anywhere, like the survey
emails (surveys.sending.emails).

How to stop them: the surveys' one-click opt-out (``List-Unsubscribe``) needs a survey invitation's token,
which a learning email does not have, so these emails carry no such header; they say instead how to stop
them (ask the vendor; the surveys' opt-out, recorded from any survey email, stops these too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from learning.emails.strings import text
from learning.links import link_path, sign_in_path
from surveys import tokens
from surveys.sending.emails import Email
from surveys.sending.strings import text as survey_text

if TYPE_CHECKING:
    from accounts.models import Tenant

KINDS = ("invitation", "reminder")
MAX_SUBJECT = 300
COLOUR = "#0969da"  # a path has no brand colour (a survey has): the platform's link blue


@dataclass(frozen=True)
class PathLine:
    """A path in the email; ``done``/``total`` are its steps (reminders only)."""

    name: str
    done: int | None = None
    total: int | None = None


def learning_email(*, kind: str, tenant: Tenant, language: str, contact_name: str, paths: list[PathLine],
                   token: str, expires_at: dt.datetime) -> Email:
    if kind not in KINDS:
        raise ValueError(f"kind is one of {', '.join(KINDS)}")
    name = " ".join(contact_name.split())
    expires_on = expires_at.astimezone(tenant.zone).date().isoformat()
    lines = [{"name": p.name, "progress": text("progress", language, done=p.done, total=p.total)
              if p.total else ""} for p in paths]
    context = {
        "language": language,
        "subject": text(f"subject.{kind}", language, tenant=tenant.name),
        "greeting": survey_text("greeting", language, name=name) if name
        else survey_text("greeting_anonymous", language),
        "intro": text(f"intro.{kind}", language, tenant=tenant.name),
        "paths": lines,
        "button": text(f"button.{kind}", language),
        "link_url": tokens.absolute(link_path(token)),
        "link_once": text("link_once", language, date=expires_on, url=tokens.absolute(sign_in_path(tenant.slug))),
        "why": survey_text("why", language, tenant=tenant.name),
        "stop": text("stop", language, tenant=tenant.name),
        "colour": COLOUR,
    }
    return Email(
        # One line: a line break in a tenant's name would make the mail backend refuse the header forever.
        subject=" ".join(context["subject"].split())[:MAX_SUBJECT],
        body_text=render_to_string("learning/emails/email.txt", context).strip() + "\n",
        body_html=render_to_string("learning/emails/email.html", context),
    )
