"""The contact page's learning panel (loaded by htmx from the accounts contact template, so accounts does not
import learning): the contact's paths with every step, its state and evidence, and the staff decisions (enroll
by hand, withdraw). Thin: fetch through learning.access, call a service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_contact_for_tenant
from accounts.permissions import has_permission, requires
from cs_platform.web.pages import wants_partial
from learning.access import get_enrollment_for_tenant
from learning.learners import selectors
from learning.learners.services import enroll_by_hand, withdraw_by_hand
from learning.paths.access import get_path_for_tenant
from learning.paths.services import LearningError

PANEL = "learning/learners/contact_learning.html"


def _panel(request: HttpRequest, contact, *, status: int = 200, error: str = "") -> HttpResponse:
    tenant = request.tenant
    context = {"contact": contact, "rows": selectors.contact_enrollments(tenant=tenant, contact=contact),
               "can_manage": has_permission(request, "learning.manage"), "error": error,
               "paths": selectors.enrollable_paths(tenant=tenant, contact=contact)}
    response = render(request, f"{PANEL}#panel" if wants_partial(request) else PANEL, context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _after_write(request: HttpRequest, contact) -> HttpResponse:
    if wants_partial(request):
        return _panel(request, contact)
    return redirect("learning-contact", tenant_slug=request.tenant.slug, contact_pk=contact.pk)


@require_GET
@requires("learning.view")
def contact_learning(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """The panel (a fragment for htmx, a page without JS)."""
    return _panel(request, get_contact_for_tenant(request.tenant, pk=contact_pk))


@require_POST
@requires("learning.manage")
def contact_enroll(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """POST ``path`` (a path id): enroll the contact by hand."""
    contact = get_contact_for_tenant(request.tenant, pk=contact_pk)
    raw = request.POST.get("path", "")
    if not raw.isdigit() or len(raw) > 18:
        return _panel(request, contact, status=400, error="path: choose a path")
    path = get_path_for_tenant(request.tenant, pk=int(raw))
    try:
        enroll_by_hand(tenant=request.tenant, contact=contact, path=path)
    except LearningError as error:
        return _panel(request, contact, status=400, error=f"{error.field}: {error}")
    return _after_write(request, contact)


@require_POST
@requires("learning.manage")
def enrollment_withdraw(request: HttpRequest, enrollment_pk: int) -> HttpResponse:
    enrollment = get_enrollment_for_tenant(request.tenant, pk=enrollment_pk)
    try:
        withdraw_by_hand(tenant=request.tenant, enrollment=enrollment)
    except LearningError as error:
        return _panel(request, enrollment.contact, status=400, error=f"{error.field}: {error}")
    return _after_write(request, enrollment.contact)
