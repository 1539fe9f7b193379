"""Survey result pages (issue 12, "Results"): the report with its groupings and monthly trend, the comments
list, and the non-responders. Thin: parse a form, call surveys.reports.selectors, render (the full page, or
the ``results`` partial for htmx). Every figure comes from survey_report, the selector of the API too."""

from __future__ import annotations

import datetime as dt

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from cs_platform.web.pages import csv_response, csv_text, paginate, render_list
from support.reports.periods import add_months, next_month
from surveys.reports import display, selectors
from surveys.reports.forms import GROUP_LABELS, CommentFilterForm, ReportForm, SegmentForm

TREND_MONTHS = 12


def _today(request: HttpRequest) -> dt.date:
    return timezone.now().astimezone(request.tenant.zone).date()


def _period(start: dt.date, end: dt.date) -> dict:
    return {"from": start, "to": end - dt.timedelta(days=1)}


def _answer(response: HttpResponse, form: Form) -> HttpResponse:
    """Bad filter input is a 400 (the page still renders, naming the field), never a 500 nor a silent 200."""
    if form.errors:
        response.status_code = 400
    return response


@require_GET
@requires("surveys.view")
def survey_report_page(request: HttpRequest) -> HttpResponse:
    """The picked period by the picked grouping, and the 12 months ending with the period's last month (the
    trend: each month its own period, the same selector): six queries besides the page's own. ``?format=csv``
    exports the picked rows unrounded."""
    form = ReportForm(request.GET, tenant=request.tenant, today=_today(request))
    context = {"form": form, "figures": display.FIGURES, "group_labels": GROUP_LABELS}
    if form.is_valid():
        start, end = form.dates()
        group_by = form.cleaned_data["group_by"]
        report = selectors.survey_report(tenant=request.tenant, start=start, end=end, group_by=group_by)
        if request.GET.get("format") == "csv":
            return csv_response(csv_text(display.CSV_HEADER, display.csv_rows(report)),
                                stem=f"survey-report-{group_by}", request=request)
        trend_end = next_month((end - dt.timedelta(days=1)).replace(day=1))
        trend = selectors.survey_report(tenant=request.tenant, start=add_months(trend_end, -TREND_MONTHS),
                                        end=trend_end, group_by="month")
        context.update(group_by=group_by, group_label=GROUP_LABELS[group_by], period=_period(start, end),
                       rows=display.table(report),
                       reasons=display.reasons_total(report), no_group=display.no_group(group_by),
                       trend=trend, trend_rows=display.table(trend), chart=display.trend_chart(trend))
    return _answer(render_list(request, "surveys/reports/report.html", context), form)


@require_GET
@requires("surveys.view")
def comment_list(request: HttpRequest) -> HttpResponse:
    form = CommentFilterForm(request.GET)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    page = paginate(request, selectors.comment_list(tenant=request.tenant, **form.selector_kwargs()))
    return _answer(render_list(request, "surveys/reports/comments.html", {"form": form, "page": page}), form)


@require_GET
@requires("surveys.view")
def non_responders(request: HttpRequest) -> HttpResponse:
    form = SegmentForm(request.GET, tenant=request.tenant, today=_today(request))
    context: dict = {"form": form}
    if form.is_valid():
        start, end = form.dates()
        scope = {"tenant": request.tenant, "start": start, "end": end, "segment": form.segment()}
        context.update(period=_period(start, end),
                       page=paginate(request, selectors.non_responders(**scope)),
                       totals=selectors.non_responder_totals(**scope),
                       by_stage=selectors.non_responders_by(**scope, field="lifecycle_stage"),
                       by_tier=selectors.non_responders_by(**scope, field="tier"))
    return _answer(render_list(request, "surveys/reports/non_responders.html", context), form)
