"""Pages for platform operators (Django superusers), outside any tenant.

To anyone else they answer 404, as for a URL that does not exist: their existence is not revealed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.emails import send_member_invitation
from accounts.forms import TenantCreateForm
from accounts.selectors import first_admin_membership
from accounts.services.tenants import create_tenant
from accounts.tenancy import tenant_scope


def superuser_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_active and request.user.is_superuser):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


@superuser_only
@require_http_methods(["GET", "POST"])
def tenant_create(request: HttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenant = create_tenant(slug=data["slug"], name=data["name"], admin_email=data["admin_email"],
                                            timezone_name=data["timezone"],
                                            fiscal_year_start_month=data["fiscal_year_start_month"])
        except ValidationError as exc:  # e.g. the slug taken by a request that won the race
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except (IntegrityError, ValueError) as exc:
            form.add_error(None, f"The tenant could not be created: {exc}")
        else:
            with tenant_scope(tenant):
                admin = first_admin_membership(tenant=tenant)
                sent = send_member_invitation(membership=admin, request=request)
            note = (f"An email went to {admin.user.email}." if sent
                    else f"The email to {admin.user.email} could not be sent; they can use “Forgot your password?”.")
            messages.success(request, f"Tenant “{tenant.name}” (/t/{tenant.slug}/) created. {note}")
            return redirect("home")
    return render(request, "tenant_create.html", {"form": form})
