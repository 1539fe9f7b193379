"""The closed-loop page, ``/t/<slug>/surveys/loop/``: open loops (oldest first) and closed ones with their
time to close, with count, median and p90 and the definitions (METRICS.md). Thin: parse the period, call
the selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from accounts.selectors import tenant_today
from surveys.loop import selectors
from surveys.loop.forms import PeriodForm


@require_GET
@requires("surveys.view")
def loop_page(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = PeriodForm(request.GET or None, today=tenant_today(tenant))
    if form.is_bound and not form.is_valid():
        return render(request, "surveys/loop.html", {"form": form, "definitions": selectors.DEFINITIONS}, status=400)
    if not form.is_bound:
        form = PeriodForm({}, today=form.today)
        form.is_valid()
    start, end, first, after = form.bounds(tenant.zone)
    report = selectors.loop_closures(tenant=tenant, start=first, end=after)
    return render(request, "surveys/loop.html", {
        "form": form, "report": report, "start_day": start, "end_day": end, "definitions": selectors.DEFINITIONS,
        "closed_by_labels": selectors.CLOSED_BY_LABELS, "limit": selectors.LIST_LIMIT})
