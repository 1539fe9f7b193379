"""One person, many addresses (issue 4 "Identities").

Normalization makes the same address typed differently one value; resolution turns the identities an
interaction arrives with into exactly one contact (matching, linking or creating); merge folds two
contacts an agent recognizes as the same person into one, with an audit row.

Decisions:
- Lookup order: a known identity wins; else an existing contact whose ``email`` (case-insensitive) or
  ``phone`` (digits) matches; else a new contact. Identities given together that are still free are
  linked to the contact found, so the same person writing by email and calling from a phone becomes
  one contact once any interaction carried both. An identity already owned by *another* contact is
  never moved silently: that takes a merge.
- A new contact needs an account (``Contact.account`` is required): the ticket's account, else the one
  account whose ``domain`` matches the email's domain; otherwise the caller gets an error naming
  ``account``.
- Merging contacts of different accounts is refused unless the caller confirms
  (``allow_cross_account=True``): it usually means two people share an address, not one person.
- The merged contact is deleted when nothing outside support still points at it; otherwise (usage
  events, survey answers, ...) it is kept, so no other app's history is lost, and the audit row says so.

Contacts themselves are written by ``accounts.services.contacts`` only: resolution creates one with
``create_contact`` (which hands it to continuous onboarding once the transaction commits), and a merge
moves support's own rows, then lets ``lock_contacts`` / ``merge_contact_into`` lock, fill, keep or delete
the contacts.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, Tenant
from accounts.selectors import account_for_domain, contact_by_email, contact_by_phone_digits
from accounts.services.contacts import create_contact, lock_contacts, merge_contact_into
from support.models import ContactIdentity, ContactMerge, IdentityKind, Interaction, Ticket

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")
_SOCIAL = re.compile(r"^([a-z0-9_.\-]+):@?(\S+)$")
# What normalize_social accepts, before it lower-cases the text: the API's schema states it (``pattern``).
SOCIAL_HANDLE_PATTERN = r"^[A-Za-z0-9_.\-]+:@?\S+$"
SOCIAL_HANDLE_MESSAGE = "a social handle is `network:handle`, e.g. twitter:@jane"


class IdentityError(ValueError):
    """A value that cannot be an identity of its kind, or a contact that cannot be resolved/merged."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise IdentityError("not a valid email address") from None
    return email


def normalize_phone(value: str) -> str:
    """E.164-ish: ``+`` and 7-15 digits; ``00`` means ``+``. Numbers are taken as including their
    country code (an integration that sends local numbers sends them the same way every time)."""
    text = value.strip()
    if not _PHONE_CHARS.match(text):
        raise IdentityError("a phone number: digits, optionally a leading + and spaces, dots, dashes, brackets")
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and digits.startswith("00"):
        digits = digits[2:]
    if not 7 <= len(digits) <= 15:
        raise IdentityError("a phone number has 7 to 15 digits (with its country code)")
    return "+" + digits


def normalize_social(value: str) -> str:
    match = _SOCIAL.match(value.strip().lower())
    if not match:
        raise IdentityError(SOCIAL_HANDLE_MESSAGE)
    return f"{match.group(1)}:{match.group(2)}"


def normalize_in_app(value: str) -> str:
    user_id = value.strip()
    if not user_id or len(user_id) > 254:
        raise IdentityError("an in-app user id is 1 to 254 characters")
    return user_id


NORMALIZERS = {
    IdentityKind.EMAIL: normalize_email,
    IdentityKind.PHONE: normalize_phone,
    IdentityKind.SOCIAL: normalize_social,
    IdentityKind.IN_APP: normalize_in_app,
}


def normalize_identity(kind: str, value: str) -> str:
    if kind not in NORMALIZERS:
        raise IdentityError(f"unknown identity kind {kind!r}")
    return NORMALIZERS[kind](value)


@dataclass
class ResolvedContact:
    contact: Contact
    created: bool


def link_free_identities(tenant: Tenant, contact: Contact, identities: Sequence[tuple[str, str]]) -> None:
    """Attach every identity nobody owns yet to ``contact`` (``ON CONFLICT DO NOTHING``: owned ones stay)."""
    ContactIdentity.objects.bulk_create(
        [ContactIdentity(tenant=tenant, contact=contact, kind=k, value=v) for k, v in identities],
        ignore_conflicts=True,
    )


def _existing_contact(tenant: Tenant, identities: Sequence[tuple[str, str]]) -> Contact | None:
    values = dict(identities)
    if not values:
        return None
    known = {
        (i.kind, i.value): i.contact
        for i in ContactIdentity.objects.filter(tenant=tenant, value__in=list(values.values()))
        .select_related("contact__account")
    }
    for pair in identities:  # the caller's order decides between two owners
        if pair in known:
            return known[pair]
    if IdentityKind.EMAIL in values:
        found = contact_by_email(tenant=tenant, email=values[IdentityKind.EMAIL])
        if found:
            return found
    if IdentityKind.PHONE in values:
        found = contact_by_phone_digits(tenant=tenant, digits=values[IdentityKind.PHONE].lstrip("+"))
        if found:
            return found
    return None


def _account_for_new_contact(tenant: Tenant, account: CustomerAccount | None, email: str | None) -> CustomerAccount:
    if account is not None:
        return account
    if email:
        domain = email.rsplit("@", 1)[1]
        found = account_for_domain(tenant=tenant, domain=domain)
        if found is not None:
            return found
    raise IdentityError(
        "needed to create a contact for an unknown identity (no account has this email's domain)", field="account"
    )


def _new_contact_external_id(identities: Sequence[tuple[str, str]]) -> str:
    """Deterministic, so two requests racing to create the same person collide on the unique key."""
    kind, value = identities[0]
    readable = f"{kind}:{value}"
    if len(readable) <= 128:
        return readable
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def resolve_contact(
    *,
    tenant: Tenant,
    identities: Sequence[tuple[str, str]],
    account: CustomerAccount | None = None,
    name: str = "",
) -> ResolvedContact:
    """The contact behind normalized ``(kind, value)`` identities, found or created, with the free
    identities linked to it. A created contact is enrolled in learning paths (continuous onboarding) by
    ``accounts.services.contacts.create_contact``, once this commits."""
    if not identities:
        raise IdentityError("give a contact, contact_email or contact_phone", field="contact")
    with transaction.atomic():
        contact = _existing_contact(tenant, identities)
        created = False
        if contact is None:
            values = dict(identities)
            email = values.get(IdentityKind.EMAIL)
            made = create_contact(
                tenant=tenant,
                account=_account_for_new_contact(tenant, account, email),
                external_id=_new_contact_external_id(identities),
                email=email or "",
                phone=values.get(IdentityKind.PHONE, ""),
                name=name,
            )
            created = made.created
            # Not created: a concurrent request created the same person first (same identity): use theirs.
            contact = made.contact if created else (_existing_contact(tenant, identities) or made.contact)
        link_free_identities(tenant, contact, identities)
    return ResolvedContact(contact, created)


def add_identity(*, tenant: Tenant, contact: Contact, kind: str, value: str) -> ContactIdentity:
    """Link one identity to ``contact``; refuses one owned by another contact (that needs a merge)."""
    normalized = normalize_identity(kind, value)
    with transaction.atomic():
        link_free_identities(tenant, contact, [(kind, normalized)])
        identity = ContactIdentity.objects.get(tenant=tenant, kind=kind, value=normalized)
    if identity.contact_id != contact.pk:
        raise IdentityError(f"{kind} {normalized} belongs to another contact; merge the two contacts", field="value")
    return identity


def _snapshot(contact: Contact) -> dict:
    return {
        "external_id": contact.external_id,
        "account": contact.account.external_id,
        "email": contact.email,
        "phone": contact.phone,
        "name": contact.name,
        "persona": contact.persona,
        "created_at": contact.created_at.isoformat() if contact.created_at else None,
        "identities": sorted(
            f"{kind}:{value}"
            for kind, value in ContactIdentity.objects.filter(tenant=contact.tenant_id, contact=contact)
            .values_list("kind", "value")
        ),
    }


# Support's rows that a merge repoints from the merged contact to the kept one before the contacts'
# half runs: they no longer hold on to the merged contact.
SUPPORT_MODELS_MOVED_BY_MERGE = (ContactIdentity, Ticket, Interaction, ContactMerge)


def merge_contacts(
    *,
    tenant: Tenant,
    kept: Contact,
    merged: Contact,
    merged_by: AbstractBaseUser | None = None,
    allow_cross_account: bool = False,
) -> ContactMerge:
    """Fold ``merged`` into ``kept``: identities, tickets and interactions move; then
    ``accounts.services.contacts.merge_contact_into`` fills the blanks of ``kept`` (email, phone, name)
    from ``merged`` and deletes ``merged`` unless another app's rows point at it; an audit row keeps the
    merged contact's snapshot."""
    if kept.tenant_id != tenant.pk or merged.tenant_id != tenant.pk:
        raise IdentityError("both contacts must belong to this tenant", field="contact")
    if kept.pk == merged.pk:
        raise IdentityError("a contact cannot be merged into itself", field="contact")
    with transaction.atomic():
        locked = lock_contacts(tenant=tenant, contact_ids=[kept.pk, merged.pk])
        if len(locked) != 2:
            raise IdentityError("no such contact in this tenant", field="contact")
        kept, merged = locked[kept.pk], locked[merged.pk]
        if kept.account_id != merged.account_id and not allow_cross_account:
            raise IdentityError(
                f"the contacts belong to different accounts ({kept.account.name}, {merged.account.name}); "
                "confirm to merge anyway", field="allow_cross_account",
            )
        snapshot = _snapshot(merged)
        # The merged contact's own addresses become identities of the kept one, so that future
        # interactions from them find it even though they were never recorded as identities.
        own = []
        if merged.email:
            own.append((IdentityKind.EMAIL, merged.email.strip().lower()))
        if merged.phone:
            with contextlib.suppress(IdentityError):  # a malformed stored phone is simply not linked
                own.append((IdentityKind.PHONE, normalize_phone(merged.phone)))
        counts = {
            "identities": ContactIdentity.objects.filter(tenant=tenant, contact=merged).update(contact=kept),
            "tickets": Ticket.objects.filter(tenant=tenant, contact=merged).update(
                contact=kept, updated_at=timezone.now()
            ),
            "interactions": Interaction.objects.filter(tenant=tenant, contact=merged).update(contact=kept),
        }
        ContactMerge.objects.filter(tenant=tenant, kept_contact=merged).update(kept_contact=kept)
        link_free_identities(tenant, kept, own)
        deleted = merge_contact_into(tenant=tenant, kept=kept, merged=merged,
                                     moved_models=SUPPORT_MODELS_MOVED_BY_MERGE)
        return ContactMerge.objects.create(
            tenant=tenant, kept_contact=kept, merged_external_id=snapshot["external_id"], merged_snapshot=snapshot,
            merged_by=merged_by, merged_at=timezone.now(), moved_counts=counts, merged_contact_deleted=deleted,
        )
