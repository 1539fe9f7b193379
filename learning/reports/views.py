"""The CSM's learning pages (issue 13, "CSM views and data"): the overview of every path, one path's report
(funnel, drop-off by step, time to complete) and an account's training coverage. Thin: parse the period,
call learning.reports.selectors / coverage, render (the full page, or the ``results`` partial for htmx)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.access import get_account_for_tenant
from accounts.permissions import requires
from accounts.selectors import tenant_today
from cs_platform.web.pages import render_list
from learning.reports import coverage, display, selectors
from support.reports.forms import PeriodForm


def _period_form(request: HttpRequest) -> PeriodForm:
    return PeriodForm(request.GET, tenant=request.tenant, today=tenant_today(request.tenant))


def _answer(response: HttpResponse, form: PeriodForm) -> HttpResponse:
    """Bad filter input is a 400 (the page still renders, naming the field), never a 500 nor a silent 200."""
    if form.errors:
        response.status_code = 400
    return response


def _shown_period(form: PeriodForm) -> dict:
    start, end = form.dates()
    return {"from": start, "to": end, "last": end - dt.timedelta(days=1)}


@require_GET
@requires("learning.view")
def learning_overview(request: HttpRequest) -> HttpResponse:
    """Every path's figures over the period (one query) and the tenant's trained users against seats (one)."""
    form = _period_form(request)
    training = selectors.tenant_training(tenant=request.tenant)
    context: dict = {"form": form, "definitions": display.DEFINITIONS, "training": training,
                     "training_coverage": display.percent(training["coverage"])}
    if form.is_valid():
        start, end = form.dates()
        paths = selectors.report_paths(tenant=request.tenant)
        figures = selectors.path_figures(tenant=request.tenant, start=start, end=end, path_ids=[p.pk for p in paths])
        context.update(period=_shown_period(form), rows=[
            {"path": p, "figures": figures[p.pk], "rate": display.percent(figures[p.pk]["completion_rate"]),
             "median": display.duration(figures[p.pk]["time_to_complete"]["median"])} for p in paths])
    return _answer(render_list(request, "learning/reports/overview.html", context), form)


@require_GET
@requires("learning.view")
def path_report(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    """One path: the funnel, the drop-off by step and the time to complete over the period's cohort."""
    path = selectors.get_report_path(tenant=request.tenant, pk=learningpath_pk)
    form = _period_form(request)
    context: dict = {"form": form, "path": path, "definitions": display.DEFINITIONS}
    if form.is_valid():
        start, end = form.dates()
        figures = selectors.path_figures(tenant=request.tenant, start=start, end=end, path_ids=[path.pk])[path.pk]
        steps = selectors.step_dropoff(tenant=request.tenant, path=path, start=start, end=end)
        ttc = figures["time_to_complete"]
        context.update(period=_shown_period(form), figures=figures,
                       steps=[{**s, "rate": display.percent(s["dropoff_rate"])} for s in steps],
                       rate=display.percent(figures["completion_rate"]),
                       ttc={"n": ttc["n"], **{k: display.duration(ttc[k]) for k in ("mean", "median", "p90")}},
                       chart=display.funnel_chart(figures, steps, path_name=path.name))
    return _answer(render_list(request, "learning/reports/path.html", context), form)


@require_GET
@requires("learning.view")
def account_learning(request: HttpRequest, account_pk: int) -> HttpResponse:
    """An account's trained users against its seats and its persona coverage, with the no-trained-admin flag."""
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    data = coverage.persona_coverage(tenant=request.tenant, account=account)
    return render_list(request, "learning/reports/account.html", {
        "account": account, "coverage": data, "seat_coverage": display.percent(data["seat_coverage"]),
        "rows": [{**r, "pct": display.percent(r["coverage"])} for r in data["rows"]],
        "definitions": display.DEFINITIONS, "coverage_definitions": coverage.DEFINITIONS})
