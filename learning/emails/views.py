"""The learning-email settings page (``learning.manage``). Thin: parse the form, call the service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.permissions import requires
from learning.emails import selectors
from learning.emails.forms import LearningPolicyForm
from learning.emails.services import save_policy


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def learning_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    policy = selectors.policy(tenant=tenant)
    data = request.POST if request.method == "POST" else None
    form = LearningPolicyForm.for_policy(data, policy)
    if data is not None and form.is_valid():
        save_policy(tenant=tenant, data=form.policy_data(), by=request.user)
        messages.success(request, "Learning email settings saved.")
        return redirect("learning-settings", tenant_slug=tenant.slug)
    return render(request, "learning/emails/settings.html", {"form": form, "policy": policy},
                  status=400 if data is not None else 200)
