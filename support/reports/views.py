"""Support report pages (issue 5, "Where they show"): agent, team and management level.

Every figure comes from support.reports.selectors.support_report, the selector behind ``GET /api/v1/reports/support``,
so page, CSV and API agree. Each page calls it twice: for the picked period and for its comparison period
(PeriodForm.previous_dates: the previous calendar month(s) for whole months, last year's same days for
the year to date, else the same number of days just before); the change column is their difference. Each page also
shows the distribution of the four duration figures over the picked period (support.reports.distributions:
one query) for the rows it shows. Query count is constant whatever the data.

Who sees what (support.reports.visibility; CSV exports apply the same rules, the histograms count the same
scope):

- the **agent** page (``reports.view``: admin, manager, agent): an admin sees every agent's row (and the
  row of what no agent owns); a manager the agents currently in the teams they manage (support.TeamManager);
  an agent only their own row (the Agent whose ``user`` is theirs; none linked = no rows);
- the **team** page (``reports.manage``: admin, manager): an admin sees every team (and "no team"); a
  manager only the teams they manage. This is the managers' view of their teams. A manager of no team sees
  no rows;
- the **management** page (``reports.all``: admin only): tenant-wide totals, YTD by month with its chart,
  YTD per team and the YTD team x month table (interactions, ASA, CSAT, handle time, cost per interaction).
  Decision: tenant-wide figures include every team's work, so they are not a manager's to see; a manager
  reads their teams on the team page.

CSMs and viewers get 403. Durations are rounded for display only ("8m 32s"); ``?format=csv`` exports the
same rows unrounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from cs_platform.web.charts import Bar, bars_with_line
from cs_platform.web.pages import csv_response, render_list, wants_partial
from support.reports.display import (
    AGENT_COLUMNS,
    NO_GROUP,
    PERIOD_COLUMNS,
    TEAM_COLUMNS,
    TEAM_MONTH_COLUMNS,
    TEAM_YTD_COLUMNS,
    YTD_COLUMNS,
    Column,
    csv_text,
    distribution_charts,
    sectioned,
    table_rows,
    team_month_csv_text,
    team_month_display,
    team_month_tables,
    value_rows,
    ytd_csv_text,
)
from support.reports.distributions import TENANT_WIDE, Scope, duration_distributions
from support.reports.forms import PeriodForm
from support.reports.periods import fiscal_year_start, next_month
from support.reports.selectors import compare_with_previous, support_report, team_months, ytd_by_month
from support.reports.visibility import report_visibility


def _today(request: HttpRequest) -> dt.date:
    return timezone.now().astimezone(request.tenant.zone).date()


def _period_form(request: HttpRequest) -> PeriodForm:
    """Always bound: an empty query is "this month" (PeriodForm.clean)."""
    return PeriodForm(request.GET, tenant=request.tenant, today=_today(request))


def _compared(request: HttpRequest, form: PeriodForm, group_by: str) -> tuple[list[dict], dict]:
    """The picked period's report beside the previous period's: two selector calls."""
    date_from, date_to = form.dates()
    prev_from, prev_to = form.previous_dates()
    now = timezone.now()
    current = support_report(tenant=request.tenant, date_from=date_from, date_to=date_to, group_by=group_by, now=now)
    previous = support_report(tenant=request.tenant, date_from=prev_from, date_to=prev_to, group_by=group_by, now=now)
    period = {"from": date_from, "to": date_to - dt.timedelta(days=1), "previous_from": prev_from,
              "previous_to": prev_to - dt.timedelta(days=1)}
    return compare_with_previous(current, previous), period


def _distributions(request: HttpRequest, form: PeriodForm, scope: Scope) -> list[dict]:
    date_from, date_to = form.dates()
    return distribution_charts(duration_distributions(tenant=request.tenant, date_from=date_from, date_to=date_to,
                                                      scope=scope))


def _base_context(form: PeriodForm, level: str, title: str, columns: list[Column], group_label: str) -> dict:
    return {"form": form, "level": level, "title": title, "columns": columns, "group_label": group_label,
            "url_name": f"report-{level}", "no_group": NO_GROUP.get(group_label)}


def _level_page(request: HttpRequest, *, level: str, group_by: str, columns: list[Column], title: str,
                group_label: str, shows: Callable[[str | None], bool], scope: Scope) -> HttpResponse:
    """``shows(label)``: whether the member may see that group's row; ``scope``: the same rows for the
    histograms."""
    form = _period_form(request)
    context = _base_context(form, level, title, columns, group_label)
    if form.is_valid():
        compared, period = _compared(request, form, group_by)
        compared = [c for c in compared if shows(c["group"])]
        if request.GET.get("format") == "csv":
            return csv_response(csv_text(compared, columns, group_label), stem=f"report-{level}", request=request)
        context.update(sections=sectioned(table_rows(compared, columns, group_label), columns), period=period,
                       compared=compared,
                       distributions=_distributions(request, form, scope))
    return render_list(request, "support/reports/level.html", context)


@require_GET
@requires("reports.view")
def agent_report(request: HttpRequest) -> HttpResponse:
    visible = report_visibility(request)
    scope = TENANT_WIDE if visible.everything else Scope("agent", visible.agent_ids)
    return _level_page(request, level="agents", group_by="agent", columns=AGENT_COLUMNS, title="Agent report",
                       group_label="agent", shows=visible.shows_agent, scope=scope)


@require_GET
@requires("reports.manage")
def team_report(request: HttpRequest) -> HttpResponse:
    visible = report_visibility(request)
    scope = TENANT_WIDE if visible.everything else Scope("team", visible.team_ids)
    return _level_page(request, level="teams", group_by="team", columns=TEAM_COLUMNS, title="Team report",
                       group_label="team", shows=visible.shows_team, scope=scope)


_MANAGEMENT_CSV = {  # ?format=csv&table=...: the YTD tables, which do not depend on the picked period
    "ytd": lambda request: csv_response(ytd_csv_text(*_ytd_months_and_total(request), YTD_COLUMNS),
                                        stem="report-management-ytd", request=request),
    "ytd-teams": lambda request: csv_response(ytd_csv_text(_ytd_teams(request)["totals"], None, TEAM_YTD_COLUMNS,
                                                           group_label="team"),
                                              stem="report-management-ytd-teams", request=request),
    "ytd-team-months": lambda request: csv_response(team_month_csv_text(team_month_tables(_ytd_teams(request))),
                                                    stem="report-management-ytd-team-months", request=request),
}


@require_GET
@requires("reports.all")
def management_report(request: HttpRequest) -> HttpResponse:
    """The period overall (with the previous period) and its duration distributions, YTD by month with its
    chart, YTD by team, and YTD by team and month. CSV: ``?format=csv`` the period table, ``&table=ytd`` the
    months, ``&table=ytd-teams`` the teams, ``&table=ytd-team-months`` each team's months."""
    table = request.GET.get("table", "period")
    if request.GET.get("format") == "csv" and table in _MANAGEMENT_CSV:
        return _MANAGEMENT_CSV[table](request)
    form = _period_form(request)
    if request.GET.get("format") == "csv" or not form.is_valid():
        return _level_page(request, level="management", group_by="none", columns=PERIOD_COLUMNS,
                           title="Management report", group_label="period", shows=lambda _: True, scope=TENANT_WIDE)
    compared, period = _compared(request, form, "none")
    context = _base_context(form, "management", "Management report", PERIOD_COLUMNS, "period")
    context.update(sections=sectioned(table_rows(compared, PERIOD_COLUMNS), PERIOD_COLUMNS), compared=compared,
                   period=period,
                   distributions=_distributions(request, form, TENANT_WIDE))
    if wants_partial(request):  # the picker swaps the period part only; YTD does not depend on it
        return render_list(request, "support/reports/management.html", context)
    months = ytd_by_month(tenant=request.tenant, today=_today(request), now=timezone.now())
    chart = bars_with_line(
        [Bar(label=r["group"][2:], value=r["interactions"], title=f"{r['group']}: {r['interactions']} interactions")
         for r in months["rows"]],
        line_value=None, line_label="", aria_label=f"Interactions per month, {months['from']} to {months['to']}")
    teams = _ytd_teams(request)  # YTD by team and by team and month, from one set of queries
    team_tables = team_month_tables(teams)
    context.update(ytd=months, ytd_columns=YTD_COLUMNS, chart=chart,
                   ytd_rows=value_rows([*months["rows"], {**months["total"], "group": "YTD total"}], YTD_COLUMNS),
                   team_sections=sectioned(value_rows(teams["totals"], TEAM_YTD_COLUMNS), TEAM_YTD_COLUMNS),
                   no_team=NO_GROUP["team"],
                   team_month_columns=[(PERIOD_COLUMNS.index(c) + 1, c) for c in TEAM_MONTH_COLUMNS],
                   team_month_tables=team_month_display(team_tables),
                   team_month_raw=team_tables)
    return render_list(request, "support/reports/management.html", context)


def _ytd_range(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """The fiscal year to date through the end of the current month (as support.reports.selectors.ytd_by_month)."""
    today = _today(request)
    return fiscal_year_start(tenant=request.tenant, today=today), next_month(today.replace(day=1))


def _ytd_months_and_total(request: HttpRequest) -> tuple[list[dict], dict]:
    months = ytd_by_month(tenant=request.tenant, today=_today(request), now=timezone.now())
    return months["rows"], months["total"]


def _ytd_teams(request: HttpRequest) -> dict:
    """support.reports.selectors.team_months over the fiscal year to date: ``rows`` per team and month, ``totals`` per
    team over the whole range (the YTD by team table)."""
    start, end = _ytd_range(request)
    return team_months(tenant=request.tenant, date_from=start, date_to=end, now=timezone.now())
