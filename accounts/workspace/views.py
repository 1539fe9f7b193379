"""The role-aware home of a tenant, ``/t/<slug>/`` (url name ``tenant-home``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from accounts.workspace import selectors
from cs_platform.web.pages import render_list


@require_GET
@requires("accounts.view")
def home(request: HttpRequest) -> HttpResponse:
    sections = selectors.home_sections(tenant=request.tenant, user=request.user, role=request.membership.role)
    return render_list(request, "accounts/workspace/home.html", {"sections": sections}, partial="sections")
