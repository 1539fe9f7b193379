"""Tenant resolution for pages (DESIGN.md rule 3): the tenant is the ``/t/<tenant_slug>/`` of the URL,
checked against the user's membership. Not a member, or no such tenant: the same 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership, Tenant
from accounts.tenancy import activate, deactivate


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
        # Membership lookup precedes any scope: the user's memberships are what decide the scope.
        membership = (
            Membership.objects.unscoped()
            .select_related("tenant")
            .filter(tenant__slug=slug, user=request.user)
            .first()
        )
        if membership is None:
            raise Http404("No such tenant")
        request.tenant: Tenant = membership.tenant
        request.membership = membership
        request._tenant_scope_token = activate(membership.tenant)
        return None
