"""Magic links to the learner portal: single use, expiring, stored as the token's SHA-256 only.

The token is the surveys' kind (``surveys.tokens``: 128 random bits, 22 URL-safe characters), so a database
reader cannot sign in as anyone. A link is issued for a purpose (a sign-in request, an invitation or a
reminder email), which sets its lifetime; it is spent by :func:`consume_link` (the portal's "continue"
POST, never a GET, so that mail scanners that open links do not spend them), which answers the link with
its tenant and contact, so the portal can enter that tenant's scope. The lookup crosses tenants on purpose,
by the token's hash only, like the survey page's (DESIGN.md tenancy rule 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, Tenant
from accounts.tenancy import all_tenants
from learning.models import LearnerLink, LinkPurpose
from surveys.tokens import hash_token, looks_like_token, new_token

LIFETIME = {
    LinkPurpose.SIGN_IN: dt.timedelta(minutes=30),  # asked for on the page: used at once or not at all
    LinkPurpose.INVITATION: dt.timedelta(days=14),
    LinkPurpose.REMINDER: dt.timedelta(days=7),
}


def link_path(token: str) -> str:
    """The portal's path for a magic link (the portal's URLconf serves it)."""
    return f"/learn/link/{token}/"


def sign_in_path(tenant_slug: str) -> str:
    """The portal's sign-in page of a tenant, where a learner asks for a new link (no secret in it: it can
    be shown in a ticket's reply or an email after the link there has expired)."""
    return f"/learn/{tenant_slug}/sign-in/"


def issue_link(*, tenant: Tenant, contact: Contact, purpose: str, now: dt.datetime | None = None) -> str:
    """A new link for ``contact``; answers the token (it goes in an email and nowhere else)."""
    return issue_links(tenant=tenant, contact_ids=[contact.pk], purpose=purpose, now=now)[contact.pk]


def issue_links(*, tenant: Tenant, contact_ids: Sequence[int], purpose: str,
                now: dt.datetime | None = None) -> dict[int, str]:
    """One new link per contact in one insert (the emails' chunks): answers ``{contact id: token}``."""
    if purpose not in LinkPurpose.values:
        raise ValueError(f"purpose is one of {', '.join(LinkPurpose.values)}")
    now = now or timezone.now()
    tokens = {contact_id: new_token() for contact_id in dict.fromkeys(contact_ids)}
    LearnerLink.objects.bulk_create([
        LearnerLink(tenant=tenant, contact_id=contact_id, token_hash=token_hash, purpose=purpose, created_at=now,
                    expires_at=now + LIFETIME[purpose])
        for contact_id, (_, token_hash) in tokens.items()])
    return {contact_id: token for contact_id, (token, _) in tokens.items()}


def _find(token: str, *, lock: bool) -> LearnerLink | None:
    if not looks_like_token(token):
        return None
    with all_tenants("the learner portal's magic link: the token names its tenant"):
        rows = LearnerLink.objects.unscoped().select_related("tenant", "contact").filter(token_hash=hash_token(token))
        if lock:
            rows = rows.select_for_update(of=("self",))
        return rows.first()


def find_link(token: str) -> LearnerLink | None:
    """The link whatever its state (the portal's "expired or used" page offers a new one in its tenant)."""
    return _find(token, lock=False)


def usable_link(token: str, now: dt.datetime | None = None) -> LearnerLink | None:
    """The link if it can still be spent (unused, unexpired), without spending it: the GET page shows
    "continue" only then."""
    now = now or timezone.now()
    link = _find(token, lock=False)
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def consume_link(token: str, now: dt.datetime | None = None) -> LearnerLink | None:
    """Spend the link: answers it (with tenant and contact) and marks it used, or None when it is unknown,
    expired or used already. Two concurrent spends of one link: exactly one succeeds (row lock)."""
    now = now or timezone.now()
    with transaction.atomic():
        link = _find(token, lock=True)
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        with all_tenants("spending the magic link found by its token"):
            LearnerLink.objects.unscoped().filter(pk=link.pk).update(used_at=now)
        link.used_at = now
        return link
