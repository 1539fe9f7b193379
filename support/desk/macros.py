"""Rendering of canned responses (macros) with placeholders, safely.

A macro body is *never* run as a Django template: that would give its author template tags
(``{% load %}``, ``{% include %}``), filters and attribute traversal (``{{ contact.account.tenant.slug }}``)
over live model objects. Instead a regex finds ``{{ name.attr }}`` placeholders and only the names in
:data:`PLACEHOLDERS` are substituted, from plain strings computed here. Anything else, including
template tags, stays in the text verbatim; unknown placeholders are reported so the macro form can warn.

Two outputs:
- :func:`render_macro_text`: plain text, the reply body an agent edits and sends (the page shows it
  through Django's autoescaping, like every interaction body);
- :func:`render_macro_html`: HTML in which the body *and* the values are escaped (previews).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")


PLACEHOLDERS: dict[str, str] = {
    "contact.first_name": "the contact's first name (first word of the name)",
    "contact.name": "the contact's full name",
    "ticket.subject": "the ticket's subject",
    "ticket.external_id": "the ticket's id",
    "agent.name": "the replying agent's name",
    "account.name": "the customer account's name",
}


@dataclass
class MacroContext:
    """The only values a macro can reach: strings, computed before rendering."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, *, contact=None, ticket=None, agent=None, account=None) -> MacroContext:
        name = (getattr(contact, "name", "") or "").strip()
        values = {
            "contact.first_name": name.split()[0] if name else "",
            "contact.name": name,
            "ticket.subject": getattr(ticket, "subject", "") or "",
            "ticket.external_id": getattr(ticket, "external_id", "") or "",
            "agent.name": (getattr(agent, "name", "") or getattr(agent, "email", "") or "") if agent else "",
            "account.name": getattr(account, "name", "") or "",
        }
        return cls(values)

    @classmethod
    def for_ticket(cls, *, ticket, agent=None) -> MacroContext:
        return cls.build(contact=ticket.contact, ticket=ticket, agent=agent, account=ticket.account)


def unknown_placeholders(body: str) -> list[str]:
    """Placeholders in ``body`` that are not substituted (kept visible), in order, without repeats."""
    seen: list[str] = []
    for match in PLACEHOLDER_RE.finditer(body):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def _substitute(body: str, context: MacroContext, *, html: bool) -> str:
    out: list[str] = []
    last = 0
    for match in PLACEHOLDER_RE.finditer(body):
        literal = body[last:match.start()]
        out.append(escape(literal) if html else literal)
        name = match.group(1)
        if name in PLACEHOLDERS:
            value = context.values.get(name, "")
            out.append(escape(value) if html else value)
        else:
            out.append(escape(match.group(0)) if html else match.group(0))
        last = match.end()
    tail = body[last:]
    out.append(escape(tail) if html else tail)
    return "".join(out)


def render_macro_text(body: str, context: MacroContext) -> str:
    """Plain text for the reply box (escaped by the template that shows it, never marked safe)."""
    return _substitute(body, context, html=False)


def render_macro_html(body: str, context: MacroContext) -> SafeString:
    """HTML: every character of the body and of the values is escaped; only line breaks become <br>."""
    return mark_safe(_substitute(body, context, html=True).replace("\n", "<br>"))  # noqa: S308 - escaped above
