"""Sending pages: the tenant's policy (fatigue budget, expiry, language, CSAT rules), the invitations with
their suppressed counts, and the outbox. Thin: parse a form, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_contact_for_tenant
from accounts.permissions import requires
from cs_platform.web.pages import paginate, render_list
from surveys.sending import selectors
from surveys.sending.forms import InvitationFilterForm, OutboxFilterForm, PolicyForm, StaffInviteForm
from surveys.sending.models import SuppressionReason, Trigger
from surveys.sending.outbox import BACKOFF_MINUTES, MAX_ATTEMPTS
from surveys.sending.services import invite, save_policy


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def policy_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    policy = selectors.policy(tenant=tenant)
    data = request.POST if request.method == "POST" else None
    form = PolicyForm.for_policy(data, policy)
    if data is not None and form.is_valid():
        save_policy(tenant=tenant, data=form.policy_data(), by=request.user)
        messages.success(request, "Survey settings saved.")
        return redirect("survey-settings", tenant_slug=tenant.slug)
    return render(request, "surveys/sending/settings.html", {"form": form, "policy": policy},
                  status=400 if data is not None else 200)


@require_GET
@requires("surveys.view")
def invitation_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = InvitationFilterForm(request.GET or None)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    return render_list(request, "surveys/sending/invitation_list.html", {
        "form": form, "page": paginate(request, selectors.invitation_list(tenant=tenant, **form.selector_kwargs())),
        "suppressed": selectors.suppressed_by_reason(tenant=tenant)})


@require_GET
@requires("surveys.view")
def outbox_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = OutboxFilterForm(request.GET or None)
    form.is_valid()
    return render_list(request, "surveys/sending/outbox_list.html", {
        "form": form, "page": paginate(request, selectors.outbox_list(tenant=tenant, **form.selector_kwargs())),
        "counts": selectors.outbox_counts(tenant=tenant), "backoff": BACKOFF_MINUTES, "max_attempts": MAX_ATTEMPTS})


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def contact_invite(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """A person sends one contact a survey: scheduled now (the sender's next minute sends it) or refused
    with the budget's reason, recorded either way with who asked (``created_by``)."""
    tenant = request.tenant
    contact = get_contact_for_tenant(tenant, pk=contact_pk)
    data = request.POST if request.method == "POST" else None
    form = StaffInviteForm(data, surveys=selectors.active_surveys(tenant=tenant))
    if data is not None and form.is_valid():
        _survey, (answer,) = invite(tenant=tenant, survey_ref=str(form.cleaned_data["survey"]),
                                    contacts=[contact.external_id], by=request.user, trigger=Trigger.STAFF)
        if answer.status == "scheduled":
            messages.success(request, "Survey scheduled: it is emailed within a minute, unless the budget has "
                                      "changed by then.")
        else:
            messages.warning(request, f"Survey not sent: {SuppressionReason(answer.reason).label}.")
        return redirect("contact-detail", tenant_slug=tenant.slug, contact_pk=contact.pk)
    return render(request, "surveys/sending/contact_invite.html", {"form": form, "contact": contact},
                  status=400 if data is not None else 200)
