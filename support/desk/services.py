"""Writes of the agent desk (keyword-only, typed, atomic): replies, bulk assignment, macros, callbacks.

Tickets, interactions, status and assignment are written only through support.records.services.tickets (and
contacts through support.records.services.identities): this module composes them with the desk's own rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, Tenant
from support.models import Agent, AuthorType, Callback, Channel, Direction, IdentityKind, Interaction, Macro, Ticket
from support.records.data import InteractionData, TicketData
from support.records.models import ContactIdentity
from support.records.services.identities import IdentityError, normalize_phone, resolve_contact
from support.records.services.tickets import RecordError, append_interaction, assign_ticket, upsert_ticket


class DeskError(ValueError):
    """Bad input from a page or the callbacks API; ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _page_external_id(prefix: str) -> str:
    """Pages have no integration id: generate one (unique, so appends stay idempotent by it)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def send_reply(
    *,
    tenant: Tenant,
    ticket: Ticket,
    agent: Agent,
    body: str,
    channel: str,
    internal: bool = False,
    macro: Macro | None = None,
    by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
) -> Interaction:
    """A public reply on ``channel`` or an internal note, authored by ``agent``; a macro used for it
    counts one more use (atomic ``F()`` update, in the same transaction as the reply)."""
    if not body.strip():
        raise DeskError("Write a reply first.", field="body")
    if channel not in Channel.values:
        raise DeskError("Choose a channel.", field="channel")
    data = InteractionData(external_id=_page_external_id("desk"), channel=channel, direction=Direction.OUTBOUND,
                           author_type=AuthorType.AGENT, is_internal=internal, body=body,
                           started_at=at or timezone.now())
    with transaction.atomic():
        written = append_interaction(tenant=tenant, ticket=ticket, data=data, agent=agent, by=by)
        if macro is not None:
            Macro.objects.filter(tenant=tenant, pk=macro.pk).update(usage_count=F("usage_count") + 1)
    return written.obj


def bulk_assign(
    *, tenant: Tenant, tickets: Iterable[Ticket], agent: Agent | None, by: AbstractBaseUser | None = None
) -> int:
    """Assign every ticket to ``agent`` (None = unassign); returns how many changed."""
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        for ticket in tickets:
            changed += assign_ticket(tenant=tenant, ticket=ticket, agent=agent, assigned_at=now, by=by).changed
    return changed


def save_macro(*, tenant: Tenant, macro: Macro, by: AbstractBaseUser | None = None) -> Macro:
    if macro.pk is None and by is not None and getattr(by, "is_authenticated", False):
        macro.created_by = by
    macro.tenant = tenant
    with transaction.atomic():
        macro.save()
    return macro


def delete_macro(*, tenant: Tenant, macro: Macro) -> None:
    with transaction.atomic():
        Macro.objects.filter(tenant=tenant, pk=macro.pk).delete()


def contact_phone(*, tenant: Tenant, contact: Contact) -> str:
    """The number to call: the contact's phone, else a phone identity linked to it."""
    if contact.phone:
        return contact.phone
    identity = (ContactIdentity.objects.filter(tenant=tenant, contact=contact, kind=IdentityKind.PHONE)
                .order_by("pk").values_list("value", flat=True).first())
    return identity or ""


@dataclass
class CallbackRequest:
    callback: Callback
    created: bool


def request_callback(
    *,
    tenant: Tenant,
    external_id: str | None = None,
    contact: Contact | None = None,
    phone: str = "",
    account: CustomerAccount | None = None,
    ticket: Ticket | None = None,
    due_at: dt.datetime | None = None,
    note: str = "",
    requested_at: dt.datetime | None = None,
) -> CallbackRequest:
    """A customer asks to be called back. ``contact`` or ``phone`` (matched through identities, or a
    new contact of ``account``); idempotent by ``external_id``: the same id again answers the stored
    callback unchanged."""
    external_id = external_id or _page_external_id("page")
    existing = Callback.objects.filter(tenant=tenant, external_id=external_id).first()
    if existing is not None:
        return CallbackRequest(existing, created=False)
    normalized = ""
    if phone:
        try:
            normalized = normalize_phone(phone)
        except IdentityError as exc:
            raise DeskError(str(exc), field="phone") from None
    with transaction.atomic():
        if contact is None:
            if not normalized:
                raise DeskError("give contact (external id) or phone", field="contact")
            try:
                contact = resolve_contact(tenant=tenant, identities=[(IdentityKind.PHONE, normalized)],
                                          account=account).contact
            except IdentityError as exc:
                raise DeskError(str(exc), field=exc.field or "phone") from None
        number = normalized or contact_phone(tenant=tenant, contact=contact)
        if not number:
            raise DeskError("the contact has no phone number: give phone", field="phone")
        if ticket is not None and ticket.contact_id != contact.pk:
            raise DeskError("this ticket belongs to another contact", field="ticket")
        requested_at = requested_at or timezone.now()
        try:
            with transaction.atomic():
                callback = Callback.objects.create(
                    tenant=tenant, external_id=external_id, contact=contact, ticket=ticket, phone=number,
                    requested_at=requested_at, due_at=due_at or requested_at, note=note,
                )
        except IntegrityError:
            # The same request raced with itself (a retry): the first one wins.
            return CallbackRequest(Callback.objects.filter(tenant=tenant, external_id=external_id).get(),
                                   created=False)
    return CallbackRequest(callback, created=True)


def complete_callback(
    *,
    tenant: Tenant,
    callback: Callback,
    agent: Agent,
    note: str = "",
    handle_seconds: float | None = None,
    by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
) -> Callback:
    """Record the outbound call (an interaction on the callback's ticket, opening a phone ticket when it
    had none) and close the callback; completing one twice is refused."""
    at = at or timezone.now()
    with transaction.atomic():
        callback = (Callback.objects.select_for_update(of=("self",)).select_related("contact", "ticket")
                    .filter(tenant=tenant, pk=callback.pk).get())
        if callback.status != Callback.Status.PENDING:
            raise DeskError(f"this callback is already {callback.get_status_display().lower()}", field="status")
        ticket = callback.ticket
        try:
            if ticket is None:
                ticket = upsert_ticket(tenant=tenant, by=by, data=TicketData(
                    external_id=f"callback-{callback.pk}",
                    contact=callback.contact.external_id,
                    channel=Channel.PHONE,
                    subject=f"Callback to {callback.contact.name or callback.phone}",
                )).obj
            interaction = append_interaction(tenant=tenant, ticket=ticket, agent=agent, by=by, data=InteractionData(
                external_id=f"callback-{callback.pk}",
                channel=Channel.PHONE,
                direction=Direction.OUTBOUND,
                author_type=AuthorType.AGENT,
                is_internal=False,
                body=note or f"Called back {callback.phone}",
                started_at=at,
                handle_seconds=handle_seconds,
            )).obj
        except RecordError as exc:
            raise DeskError(str(exc), field=exc.field) from None
        callback.ticket = ticket
        callback.status = Callback.Status.DONE
        callback.completed_at = at
        callback.completed_by = agent
        callback.completed_interaction = interaction
        callback.save(update_fields=["ticket", "status", "completed_at", "completed_by", "completed_interaction"])
    return callback
