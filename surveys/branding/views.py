"""Logo pages: upload and remove on the survey edit page (staff), and the public file (no login).

The public URL names the tenant, the logo's id and its random key; any mismatch is the same 404 as a
missing logo, so neither another tenant's logos nor this tenant's other surveys can be reached by ids.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import requires
from cs_platform.web.images import public_image_response
from surveys.access import get_survey_for_tenant
from surveys.branding import selectors
from surveys.branding.forms import LogoForm
from surveys.branding.services import remove_logo, set_logo
from surveys.views import survey_form_page


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
    return public_image_response(request, tenant_slug=logo_tenant_slug, what="logo",
                                 find=lambda tenant: selectors.public_logo(tenant=tenant, pk=surveylogo_pk,
                                                                           key=logo_key))
