"""The learner session: separate from staff auth on purpose (a contact is not a user).

A random token (the surveys' kind: 128 bits, 22 URL-safe characters) lives in its own cookie, ``cs_learner``
(HttpOnly, SameSite=Lax, path ``/learn/``, Secure when the site's session cookie is or the request came over
TLS); only its SHA-256 is stored in ``LearnerSession``. So a staff login signs nobody into the portal, and the
learner cookie, sent only to ``/learn/``, never reaches a staff page (which would not read it anyway).

Decisions where the docs are silent:

- 30 days, sliding: every visit moves ``expires_at`` on, but the row is written at most once a minute
  (``last_seen_at``), so a page view costs no write in the common case.
- The cookie names no tenant: the session is found by the token's hash alone, across tenants, like a magic
  link (DESIGN.md tenancy rule 4); the view then runs inside the session's tenant scope.
- Sign-out sets ``ended_at`` (kept for the audit trail) and deletes the cookie.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import Contact, Tenant
from accounts.tenancy import all_tenants, tenant_scope
from learning.links import consume_link
from learning.models import LearnerSession
from surveys.tokens import hash_token, looks_like_token, new_token

COOKIE = "cs_learner"
COOKIE_PATH = "/learn/"
LIFETIME = dt.timedelta(days=30)
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Learner:
    """Who is signed in: the session row with its tenant and contact (the view's only source of both)."""

    session: LearnerSession

    @property
    def tenant(self) -> Tenant:
        return self.session.tenant

    @property
    def contact(self) -> Contact:
        return self.session.contact


def _secure(request: HttpRequest) -> bool:
    return bool(settings.SESSION_COOKIE_SECURE or request.is_secure())


def start_session(request: HttpRequest, response: HttpResponse, *, tenant: Tenant, contact: Contact,
                  now: dt.datetime | None = None) -> LearnerSession:
    """A new session for ``contact``, its cookie set on ``response``."""
    now = now or timezone.now()
    token, token_hash = new_token()
    with tenant_scope(tenant):
        session = LearnerSession.objects.create(tenant=tenant, contact=contact, token_hash=token_hash,
                                                created_at=now, last_seen_at=now, expires_at=now + LIFETIME)
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), path=COOKIE_PATH,
                        secure=_secure(request), httponly=True, samesite="Lax")
    return session


def sign_in_with_link(request: HttpRequest, response: HttpResponse, token: str) -> LearnerSession | None:
    """Spend the magic link and start its contact's session on ``response``, together (a link is never spent
    without its session); None when the link is unknown, expired or used."""
    with transaction.atomic():
        spent = consume_link(token)
        if spent is None:
            return None
        return start_session(request, response, tenant=spent.tenant, contact=spent.contact)


def current_learner(request: HttpRequest, now: dt.datetime | None = None) -> Learner | None:
    """The signed-in learner of this request, or None (no cookie, not token-shaped: no query; unknown,
    expired or ended). Slides the expiry, writing at most once a minute."""
    token = request.COOKIES.get(COOKIE, "")
    if not looks_like_token(token):
        return None
    now = now or timezone.now()
    with all_tenants("the learner portal's session: the cookie's token names its tenant"):
        session = (LearnerSession.objects.unscoped().select_related("tenant", "contact")
                   .filter(token_hash=hash_token(token), ended_at__isnull=True, expires_at__gt=now).first())
        if session is not None and now - session.last_seen_at >= TOUCH_EVERY:
            LearnerSession.objects.unscoped().filter(pk=session.pk).update(last_seen_at=now,
                                                                          expires_at=now + LIFETIME)
            session.last_seen_at, session.expires_at = now, now + LIFETIME
    return Learner(session) if session is not None else None


def end_session(learner: Learner, response: HttpResponse, now: dt.datetime | None = None) -> None:
    with tenant_scope(learner.tenant):
        LearnerSession.objects.filter(tenant=learner.tenant, pk=learner.session.pk, ended_at__isnull=True) \
            .update(ended_at=now or timezone.now())
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")


def learner_required(signed_out: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Decorate a portal view ``view(request, learner, **kwargs)``: it runs inside the learner's tenant scope;
    without a learner session ``signed_out(request)`` answers instead (a staff login does not count)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            learner = current_learner(request)
            if learner is None:
                return signed_out(request)
            with tenant_scope(learner.tenant):
                return view(request, learner, **kwargs)

        return wrapper

    return decorate
