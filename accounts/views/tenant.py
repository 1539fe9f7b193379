"""The tenant's own settings, for its admins (the slug is shown, not edited: it is in every URL)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import TenantSettingsForm
from accounts.permissions import requires
from accounts.services.tenants import update_tenant_settings


@require_http_methods(["GET", "POST"])
@requires("tenant.manage")
def tenant_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    initial = {"name": tenant.name, "timezone": tenant.timezone,
               "fiscal_year_start_month": tenant.fiscal_year_start_month}
    form = TenantSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_tenant_settings(tenant=tenant, name=data["name"], timezone_name=data["timezone"],
                                            fiscal_year_start_month=data["fiscal_year_start_month"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Tenant settings saved.")
            return redirect("tenant-settings", tenant_slug=tenant.slug)
    return render(request, "accounts/tenant_settings.html", {"form": form})
