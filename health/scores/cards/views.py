"""The scorecard pages: the list (``health.view``), a scorecard with its versions and "Recompute now", and
create / edit with a preview on current data before saving (``health.manage``).

Thin views (DESIGN.md): parse, fetch through ``cards.access``, call ``cards.selectors`` /
``health.scores.services`` / ``health.scores.jobs``, render. The edit page answers the whole page or, for the
htmx "Preview" button, the preview partial alone; every figure carries its definition (``DEFINITIONS``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import has_permission, requires
from accounts.selectors import tenant_today
from cs_platform.web.pages import render_list
from health.scores.cards import selectors
from health.scores.cards.access import get_scorecard_for_tenant
from health.scores.cards.forms import ScorecardForm
from health.scores.components import COMPONENTS
from health.scores.jobs import start_recompute
from health.scores.models import Scorecard
from health.scores.services import ScorecardError, clean_scorecard_data, ensure_default_scorecard, save_scorecard

DEFS = selectors.DEFINITIONS


def _footnotes(*keys: str) -> list[tuple[str, str]]:
    labels = {"accounts_now": "Accounts now", "preview_accounts": "Previewed", "band_changes": "Band changes",
              "unscored": "Without a score", "confidence": "Confidence"}
    return [(labels[k], DEFS[k]) for k in keys]


@require_GET
@requires("health.view")
def scorecard_list(request: HttpRequest) -> HttpResponse:
    ensure_default_scorecard(tenant=request.tenant)  # the default one is always there to be edited
    context = {"rows": selectors.scorecard_rows(tenant=request.tenant), "definitions": DEFS,
               "can_manage": has_permission(request, "health.manage"), "footnotes": _footnotes("accounts_now")}
    return render_list(request, "health/cards/list.html", context, partial="results")


@require_GET
@requires("health.view")
def scorecard_detail(request: HttpRequest, scorecard_pk: int) -> HttpResponse:
    card = get_scorecard_for_tenant(request.tenant, pk=scorecard_pk)
    definition = card.current_version.definition if card.current_version else {"components": [], "bands": {}}
    total = sum(c["weight"] for c in definition["components"]) or 1.0
    components = [{**c, "label": COMPONENTS[c["key"]].label, "help": COMPONENTS[c["key"]].definition,
                   "share": c["weight"] / total} for c in definition["components"]]
    context = {"card": card, "components": components, "bands": definition["bands"],
               "versions": selectors.version_rows(tenant=request.tenant, scorecard=card),
               "can_manage": has_permission(request, "health.manage")}
    return render(request, "health/cards/detail.html", context)


def _edit(request: HttpRequest, card: Scorecard | None) -> HttpResponse:
    form = ScorecardForm(request.POST if request.method == "POST" else None, scorecard=card)
    preview = None
    if request.method == "POST" and form.is_valid() and (data := form.scorecard_data()) is not None:
        try:
            clean = clean_scorecard_data(tenant=request.tenant, scorecard=card, data=data)
            if request.POST.get("action") == "save":
                saved = save_scorecard(tenant=request.tenant, scorecard=card, data=clean, by=request.user)
                messages.success(request, f"Scorecard “{saved.name}” saved (version {saved.current_version.number}). "
                                          "Recompute now to score the accounts with it today.")
                return redirect("scorecard-detail", tenant_slug=request.tenant.slug, scorecard_pk=saved.pk)
            preview = selectors.preview(tenant=request.tenant, scorecard=card, data=clean)
        except ScorecardError as error:
            form.add_service_error(error.field, str(error))
    context = {"card": card, "form": form, "preview": preview, "definitions": DEFS,
               "max_rows": selectors.PREVIEW_MAX_ROWS, "max_accounts": selectors.PREVIEW_MAX_ACCOUNTS,
               "footnotes": _footnotes("preview_accounts", "band_changes", "unscored", "confidence")}
    response = render_list(request, "health/cards/edit.html", context, partial="preview")
    if request.method == "POST" and form.errors:
        response.status_code = 400
    return response


@require_http_methods(["GET", "POST"])
@requires("health.manage")
def scorecard_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@requires("health.manage")
def scorecard_edit(request: HttpRequest, scorecard_pk: int) -> HttpResponse:
    return _edit(request, get_scorecard_for_tenant(request.tenant, pk=scorecard_pk))


@require_POST
@requires("health.manage")
def scorecard_recompute(request: HttpRequest, scorecard_pk: int) -> HttpResponse:
    """Today's scores of every account recomputed now (each with the scorecard that applies to it), as a job
    whose progress page polls; the scorecard in the URL is the page the button was on."""
    card = get_scorecard_for_tenant(request.tenant, pk=scorecard_pk)
    job = start_recompute(tenant=request.tenant, days=[tenant_today(request.tenant)], account_ids=None,
                          by=request.user)
    messages.success(request, f"Recomputing today's scores after “{card.name}”.")
    return redirect("job-progress", tenant_slug=request.tenant.slug, job_pk=job.pk)
