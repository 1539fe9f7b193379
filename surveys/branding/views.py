"""Logo pages: upload and remove on the survey edit page (staff), and the public file (no login).

The public URL names the tenant, the logo's id and its random key; any mismatch is the same 404 as a
missing logo, so neither another tenant's logos nor this tenant's other surveys can be reached by ids.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_tenant_by_slug
from accounts.permissions import requires
from accounts.tenancy import tenant_scope
from surveys.access import get_survey_for_tenant
from surveys.branding import selectors
from surveys.branding.forms import LogoForm
from surveys.branding.services import remove_logo, set_logo
from surveys.views import survey_form_page

YEAR = 365 * 24 * 3600


@require_POST
@requires("surveys.manage")
def logo_upload(request: HttpRequest, survey_pk: int) -> HttpResponse:
    survey = get_survey_for_tenant(request.tenant, pk=survey_pk)
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():  # the edit page again, the refused file's error beside the logo field
        return survey_form_page(request, survey, logo_form=form, status=400)
    set_logo(tenant=request.tenant, survey=survey, data=form.cleaned_data["logo"], by=request.user)
    messages.success(request, "Logo saved.")
    return redirect("survey-edit", tenant_slug=request.tenant.slug, survey_pk=survey.pk)


@require_POST
@requires("surveys.manage")
def logo_remove(request: HttpRequest, survey_pk: int) -> HttpResponse:
    survey = get_survey_for_tenant(request.tenant, pk=survey_pk)
    if remove_logo(tenant=request.tenant, survey=survey):
        messages.success(request, "Logo removed.")
    return redirect("survey-edit", tenant_slug=request.tenant.slug, survey_pk=survey.pk)


@require_GET
def logo_file(request: HttpRequest, logo_tenant_slug: str, surveylogo_pk: int, logo_key: str) -> HttpResponse:
    tenant = get_tenant_by_slug(slug=logo_tenant_slug, what="logo")
    with tenant_scope(tenant):
        logo = selectors.public_logo(tenant=tenant, pk=surveylogo_pk, key=logo_key)
    if logo is None:
        raise Http404("No such logo")
    etag = f'"{logo.digest}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(logo.data), content_type=logo.content_type)
    # The URL changes with every upload (a new key), so what it names never changes: cache it for a year.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    return response
