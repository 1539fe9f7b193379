"""Tenant resolution for pages (DESIGN.md rule 3): the tenant is the ``/t/<tenant_slug>/`` of the URL,
checked against the user's membership. Not a member, or no such tenant: the same 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from accounts.models import Membership, Tenant
from accounts.selectors import tenant_by_slug
from accounts.tenancy import activate, all_tenants, deactivate, tenant_scope


class TenantFromUrlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        request._tenant_scope_token = None
        try:
            return self.get_response(request)
        finally:
            if request._tenant_scope_token is not None:
                deactivate(request._tenant_scope_token)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict):
        slug = view_kwargs.pop("tenant_slug", None)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # The slug names the tenant; the membership is looked up inside its scope, so even this query
        # cannot see another tenant's rows (row-level security), and a non-member gets the same 404.
        tenant = tenant_by_slug(slug=slug)
        if tenant is None:
            raise Http404("No such tenant")
        with tenant_scope(tenant):
            membership = Membership.objects.select_related("tenant").filter(user=request.user).first()
        if membership is None:
            raise Http404("No such tenant")
        request.tenant: Tenant = membership.tenant
        request.membership = membership
        request._tenant_scope_token = activate(membership.tenant)
        return None


class AdminAcrossTenantsMiddleware:
    """The Django admin works across tenants (accounts/admin.py filters every queryset by hand to the
    user's own tenants), so its requests, rendering included, run under the row-level security bypass.
    Every other request is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        if not request.path.startswith(self._prefix):
            return self.get_response(request)
        with all_tenants("Django admin: its querysets are filtered by hand to the user's tenants"):
            return self.get_response(request)
