"""Survey pages (issue 12, step 1): the list, the create/edit form with per-language texts, and a survey's
latest responses. Thin: parse a form, fetch through surveys.access, call surveys.services, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import has_permission, requires
from cs_platform.web.pages import paginate, render_list
from surveys import selectors
from surveys.access import get_survey_for_tenant
from surveys.branding import selectors as branding_selectors
from surveys.branding.forms import LogoForm
from surveys.forms import SurveyForm, survey_data, text_formset
from surveys.models import Survey
from surveys.scales import SCALES, Kind, bands_of
from surveys.services import SurveyError, save_survey


@require_GET
@requires("surveys.view")
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/survey_list.html", {
        "surveys": selectors.survey_list(tenant=request.tenant),
        "can_manage": has_permission(request, "surveys.manage")})


def survey_form_page(request: HttpRequest, survey: Survey | None, *, logo_form: LogoForm | None = None,
                     status: int | None = None) -> HttpResponse:
    """The create/edit page; a POST of the survey form saves it. The edit page also carries the logo upload
    (surveys.branding.views posts there and, for a refused file, renders this page with its ``logo_form``)."""
    tenant = request.tenant
    texts = selectors.survey_texts(tenant=tenant, survey=survey) if survey else []
    data = request.POST if request.method == "POST" and logo_form is None else None
    form = SurveyForm.for_survey(data, survey)
    formset = text_formset(data, texts=texts)
    if data is not None and form.is_valid() and formset.is_valid():
        try:
            saved = save_survey(tenant=tenant, survey=survey, data=survey_data(form, formset))
        except SurveyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Survey “{saved.name}” saved.")
            return redirect("survey-detail", tenant_slug=tenant.slug, survey_pk=saved.pk)
    context = {"form": form, "formset": formset, "survey": survey}
    if survey is not None:
        logo = branding_selectors.logo_of(tenant=tenant, survey=survey)
        context |= {"logo": logo, "logo_form": logo_form or LogoForm(),
                    "logo_url": branding_selectors.public_path(tenant=tenant, logo=logo) if logo else None}
    if status is None:
        status = 400 if data is not None else 200
    return render(request, "surveys/survey_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def survey_create(request: HttpRequest) -> HttpResponse:
    return survey_form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def survey_edit(request: HttpRequest, survey_pk: int) -> HttpResponse:
    return survey_form_page(request, get_survey_for_tenant(request.tenant, pk=survey_pk))


@require_GET
@requires("surveys.view")
def survey_detail(request: HttpRequest, survey_pk: int) -> HttpResponse:
    tenant = request.tenant
    survey = get_survey_for_tenant(tenant, pk=survey_pk)
    scale = SCALES[survey.kind]
    return render_list(request, "surveys/survey_detail.html", {
        "survey": survey, "texts": selectors.survey_texts(tenant=tenant, survey=survey),
        "page": paginate(request, selectors.survey_responses(tenant=tenant, survey=survey)),
        "scale": scale, "bands": bands_of(survey.kind), "kind_label": Kind(survey.kind).label,
        "can_manage": has_permission(request, "surveys.manage")})
