"""Reads for the contact-merge page: candidates for a duplicate, the side-by-side summary, the history.

Every function takes the tenant explicitly and filters by it; each answers in a fixed number of queries
whatever the number of identities, tickets or past merges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q

from accounts.models import Contact, Tenant
from support.desk_selectors import CLOSED_STATUSES
from support.models import ContactIdentity, ContactMerge, Ticket

CANDIDATES_LIMIT = 20
MIN_QUERY_LENGTH = 2


def merge_candidates(*, tenant: Tenant, contact: Contact, query: str) -> list[Contact]:
    """This tenant's contacts other than ``contact`` whose name, email, phone, external id or any
    identity contains ``query``. Phones also match on digits alone, however they were typed."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    identity_match = ContactIdentity.objects.filter(tenant=tenant, value__icontains=query).values("contact_id")
    match = (
        Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
        | Q(external_id__icontains=query) | Q(pk__in=identity_match)
    )
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and digits != query:
        match |= Q(pk__in=ContactIdentity.objects.filter(tenant=tenant, kind="phone", value__contains=digits)
                   .values("contact_id"))
    return list(
        Contact.objects.filter(tenant=tenant).filter(match).exclude(pk=contact.pk)
        .select_related("account").order_by("name", "pk")[:CANDIDATES_LIMIT]
    )


@dataclass
class MergeSide:
    contact: Contact
    identities: list[ContactIdentity] = field(default_factory=list)
    open_tickets: int = 0
    tickets: int = 0


def merge_sides(*, tenant: Tenant, contacts: list[Contact]) -> list[MergeSide]:
    """For each contact (in the given order): its identities and its ticket counts (two queries)."""
    sides = {c.pk: MergeSide(c) for c in contacts}
    for identity in ContactIdentity.objects.filter(tenant=tenant, contact__in=list(sides)).order_by("kind", "value"):
        sides[identity.contact_id].identities.append(identity)
    counts = (
        Ticket.objects.filter(tenant=tenant, contact__in=list(sides)).values("contact_id")
        .annotate(total=Count("pk"), open=Count("pk", filter=~Q(status__in=CLOSED_STATUSES)))
    )
    for row in counts:
        sides[row["contact_id"]].tickets = row["total"]
        sides[row["contact_id"]].open_tickets = row["open"]
    return [sides[c.pk] for c in contacts]


def merge_history(*, tenant: Tenant, contact: Contact) -> list[ContactMerge]:
    """The merges that folded another contact into ``contact``, newest first."""
    return list(
        ContactMerge.objects.filter(tenant=tenant, kept_contact=contact).select_related("merged_by")
        .order_by("-merged_at", "-pk")
    )
