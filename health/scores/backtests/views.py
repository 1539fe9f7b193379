"""The backtest page ``/t/<slug>/health/backtest/`` (``health.view``) and "Apply as a new version"
(``health.manage``). Thin: parse with health.scores.backtests.params, read through its selectors, write through
health.scores.services.save_scorecard. Every figure is shown with its definition (``DEFINITIONS``). The same
view answers the full page or, for htmx (the horizon/scorecard form), the ``results`` partial.

The page shows the latest finished backtest job of its scorecard and horizon (health.scores.backtests.jobs:
a full computation takes tens of seconds on a year of history, too long for a request) and a button that runs
a new one, whose progress page polls until it is done.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import check_permission, has_permission, requires
from cs_platform.web import charts
from cs_platform.web.pages import render_list
from health.scores.backtests.jobs import latest_backtest, start_backtest
from health.scores.backtests.params import BacktestParamError, backtest_query
from health.scores.backtests.selectors import MAX_HORIZON
from health.scores.models import Scorecard
from health.scores.selectors import scorecards_in_order
from health.scores.services import ScorecardData, ScorecardError, ensure_default_scorecard, save_scorecard

MAX_DEFINITION_CHARS = 50_000
DEFINITIONS = {
    "observation": "One per renewal or churn of the subscription history: a period's end is a renewal when the "
                   "account has another period starting within 1 day (or still running), else a churn; ends "
                   "within a day of now are censored (not counted). Scored as of the end's local day minus the "
                   "horizon, from data up to that day only, with the scorecard's current version.",
    "auc": "Probability that a randomly chosen churned observation scored lower than a randomly chosen renewed "
           "one, ties counting 1/2 (the ROC AUC of 100 - score against churn). 0.5 is a coin toss, 1 perfect.",
    "interval": "95% interval of the AUC by DeLong's method (from the observed ranks, ties included).",
    "roc": "For every threshold t: the share of churns with 100 - score >= t (true positive rate, up) against "
           "the share of renewals with it (false positive rate, across). The dashed diagonal is a coin toss.",
    "component_auc": "The same AUC with the component's 0-100 points as the score, over the observations where "
                     "the component had data (n).",
    "band_churn": "Churned observations / observations, per band of the score as of the horizon.",
    "unscored": "Observations whose account had no data for any component: left out of every figure.",
    "suggested": "A regularized (L2) logistic regression of churn on every candidate input (median-imputed "
                 "with a missing indicator, standardized); directions from the coefficients' signs; weights "
                 "proportional to |coefficient| summing to 100, near-zero ones dropped; each a ramp over the "
                 "observed 5th-95th percentile.",
    "cv_auc": "AUC of the fit's out-of-fold predictions, folds grouped by account (GroupKFold: one account is "
              "never in both a training and a test fold).",
    "current_auc": "The current scorecard's AUC on the same observations.",
    "in_sample": "The suggested scorecard's AUC on the observations it was fitted on (optimistic: compare the "
                 "cross-validated one).",
    "band_change": "Accounts whose band today would differ under the suggested scorecard.",
}


def _roc_chart(body: dict) -> str:
    if not body["roc"]:
        return ""
    auc = body["auc"]
    return charts.roc_curve([(p["fpr"], p["tpr"]) for p in body["roc"]],
                            aria_label=f"ROC curve of the score, AUC {auc or 0:.2f}",
                            title=f"AUC {auc:.3f}" if auc is not None else "no AUC")


def _context(request: HttpRequest) -> dict:
    tenant = request.tenant
    query = backtest_query(request.GET, tenant=tenant)
    latest = latest_backtest(tenant=tenant, scorecard=query.scorecard, horizon_days=query.horizon_days)
    body = latest.result["backtest"] if latest else None
    suggested = body["suggested"]["definition"] if body else None
    return {"body": body, "job": latest, "roc_chart": _roc_chart(body) if body else "", "query": query,
            "max_horizon": MAX_HORIZON, "scorecards": scorecards_in_order(tenant=tenant), "definitions": DEFINITIONS,
            "suggested_json": json.dumps(suggested) if suggested else "",
            "can_apply": has_permission(request, "health.manage"),
            "footnotes": [(k.replace("_", " ").capitalize(), v) for k, v in DEFINITIONS.items()]}


def _bad_parameters_are_400(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except (BacktestParamError, ScorecardError) as error:
            return HttpResponseBadRequest(f"{error.field}: {error}")
    return wrapper


@require_http_methods(["GET", "POST"])
@requires("health.view")
@_bad_parameters_are_400
def backtest_page(request: HttpRequest) -> HttpResponse:
    """GET: the latest backtest; POST: "Apply as a new version" (``health.manage``)."""
    if request.method == "POST":
        check_permission(request, "health.manage")
        return _apply(request)
    return render_list(request, "health/backtest.html", _context(request), partial="results")


@require_POST
@requires("health.view")
@_bad_parameters_are_400
def backtest_run(request: HttpRequest) -> HttpResponse:
    """Start a backtest job for the form's scorecard and horizon; its progress page polls until it is done."""
    query = backtest_query(request.POST, tenant=request.tenant)
    job = start_backtest(tenant=request.tenant, scorecard=query.scorecard, horizon_days=query.horizon_days,
                         by=request.user)
    return redirect("job-progress", tenant_slug=request.tenant.slug, job_pk=job.pk)


def _target(request: HttpRequest) -> Scorecard:
    raw = request.POST.get("scorecard") or ""
    if not raw:
        return ensure_default_scorecard(tenant=request.tenant)
    query = backtest_query({"scorecard": raw}, tenant=request.tenant)
    if query.scorecard is None:
        raise Http404("no such scorecard")
    return query.scorecard


def _apply(request: HttpRequest) -> HttpResponse:
    """Save the suggested definition as the scorecard's next version (its name, stages and tiers kept)."""
    card = _target(request)
    raw = request.POST.get("definition") or ""
    try:
        definition = json.loads(raw) if len(raw) <= MAX_DEFINITION_CHARS else None
    except ValueError:
        definition = None
    if not isinstance(definition, dict):
        return HttpResponseBadRequest("definition: the suggested scorecard definition (JSON)")
    data = ScorecardData(name=card.name, definition=definition, lifecycle_stages=card.lifecycle_stages,
                         tiers=card.tiers, priority=card.priority)
    saved = save_scorecard(tenant=request.tenant, scorecard=card, data=data, by=request.user)
    messages.success(request, f"{saved.name}: the suggested weights are version {saved.current_version.number}.")
    return redirect(f"/t/{request.tenant.slug}/health/backtest/?scorecard={saved.pk}")
