"""The one way in to the public page: a link's token to its invitation (DESIGN.md tenancy rule 4).

The token names its tenant, so this lookup necessarily precedes any tenant scope, like an API key's
(accounts.selectors.active_api_key): it crosses tenants on purpose, by the token's hash only, and hands
back the invitation with its tenant so the view can enter that tenant's scope for everything else."""

from __future__ import annotations

from django.http import Http404

from accounts.tenancy import all_tenants
from surveys.sending.models import Invitation, InvitationStatus
from surveys.tokens import hash_token, looks_like_token

# Only an invitation that was sent has a token; a suppressed or scheduled one cannot be reached.
REACHABLE = (InvitationStatus.SENT, InvitationStatus.ANSWERED)


class UnknownLink(Http404):
    """No invitation has this token (or it is not token-shaped): the same answer either way."""


def get_invitation_for_token(token: str) -> Invitation:
    """The sent or answered invitation whose token is ``token``, with its tenant, survey, contact and
    ticket; :class:`UnknownLink` otherwise. A string that is not token-shaped costs no query."""
    if not looks_like_token(token):
        raise UnknownLink("No such survey link")
    with all_tenants("the public survey page: the link's token names its tenant"):
        found = (Invitation.objects.unscoped()
                 .select_related("tenant", "survey", "contact", "ticket")
                 .filter(token_hash=hash_token(token), status__in=REACHABLE)
                 .first())
    if found is None:
        raise UnknownLink("No such survey link")
    return found
