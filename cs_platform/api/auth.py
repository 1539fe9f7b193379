"""API-key authentication: the key names the tenant (DESIGN.md rule 3) and carries scopes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.selectors import active_api_key
from accounts.services.tenants import touch_api_key

# Writing last_used_at on every request would turn each read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyUser:
    """What DRF sees as ``request.user`` for a key: authenticated, never staff, tied to one tenant."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.pk = None

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw_key = header.partition(" ")
        if keyword != self.keyword or not raw_key.strip():
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'")
        # The key decides the tenant, so this lookup necessarily precedes any scope.
        api_key = active_api_key(raw_key=raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("invalid or revoked API key")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            touch_api_key(api_key=api_key, now=now)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class HasTenantApiKey(permissions.BasePermission):
    """Reads need the ``read`` scope; writes need the view's ``write_scope`` (``write`` by default)."""

    def has_permission(self, request: Request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise exceptions.NotAuthenticated("an API key is required: Authorization: Bearer <key>")
        needed = "read" if request.method in permissions.SAFE_METHODS else getattr(view, "write_scope", "write")
        if not api_key.has_scope(needed):
            self.message = f"this API key lacks the '{needed}' scope"
            return False
        return True
