"""Views outside any tenant: the landing redirect and the tenant switcher."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.selectors import user_memberships


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The user's own memberships, across tenants: this page is where a tenant gets chosen.
    memberships = user_memberships(user=request.user)
    # Operators stay on the chooser: it is where they create tenants.
    if len(memberships) == 1 and not request.user.is_superuser:
        return redirect("account-list", tenant_slug=memberships[0].tenant.slug)
    return render(request, "tenant_switcher.html", {"memberships_list": memberships})
