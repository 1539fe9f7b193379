"""API keys of the tenant, for its admins: list, create (raw key shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors
from accounts.access import get_apikey_for_tenant
from accounts.forms import ApiKeyForm
from accounts.permissions import requires
from accounts.services.tenants import create_api_key, revoke_api_key


@require_GET
@requires("apikeys.manage")
def apikey_list(request: HttpRequest) -> HttpResponse:
    keys = selectors.apikey_list(tenant=request.tenant)
    return render(request, "accounts/apikey_list.html", {"keys": keys})


@require_http_methods(["GET", "POST"])
@requires("apikeys.manage")
def apikey_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = create_api_key(tenant=request.tenant, name=form.cleaned_data["name"],
                                  scopes=form.cleaned_data["scopes"])
        # Rendered, not redirected: the raw key exists only in this response and is never stored.
        response = render(request, "accounts/apikey_created.html", {"key": key, "raw_key": raw})
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "accounts/apikey_form.html", {"form": form})


@require_POST
@requires("apikeys.manage")
def apikey_revoke(request: HttpRequest, apikey_pk: int) -> HttpResponse:
    key = get_apikey_for_tenant(request.tenant, pk=apikey_pk)
    revoke_api_key(key=key)
    messages.success(request, f"API key “{key.name}” ({key.prefix}…) revoked; requests using it are refused.")
    return redirect("apikey-list", tenant_slug=request.tenant.slug)
