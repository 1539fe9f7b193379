from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Membership
from accounts.navigation import HOME, NavMenu, nav_for_role
from accounts.permissions import PERMISSIONS, role_allows
from accounts.selectors import user_memberships


def tenancy(request: HttpRequest) -> dict:
    """The current tenant, the role's permissions and, lazily, the top bar's menus and the tenant switcher's
    list."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)

    def memberships() -> list[Membership]:
        if user is None or not user.is_authenticated:
            return []
        return user_memberships(user=user)  # the switcher needs all of them, across tenants

    def nav_menus() -> list[NavMenu]:
        tenant = getattr(request, "tenant", None)
        if tenant is None or membership is None:
            return []
        return nav_for_role(role=membership.role, tenant_slug=tenant.slug)

    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms_granted": {p for p in PERMISSIONS if membership and role_allows(membership.role, p)},
        "my_memberships": memberships,
        "nav_menus": nav_menus,  # the top bar (accounts.navigation), built only by pages that show it
        "nav_home": HOME,
    }
