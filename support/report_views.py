"""Support report pages (issue 5, "Where they show"): agent, team and management level.

Every figure comes from support.reports.support_report, the selector behind ``GET /api/v1/reports/support``,
so page, CSV and API agree. Each page calls it twice: for the picked period and for the same-length period
immediately before (support.reports.previous_period); the change column is their difference. The
management page adds the YTD by month table (support.reports.ytd_by_month) and the per-team YTD. Query
count is constant whatever the data.

Visibility (decision): ``reports.view`` (admin, manager, agent) opens the agent page; an *agent* sees only
their own row (the Agent whose ``user`` is the signed-in user; none linked = no rows). The team and
management pages need ``reports.manage`` (admin, manager): managers see every team, as admins do (no
manager-to-team link exists yet). CSMs and viewers get 403.

Durations are rounded for display only ("8m 32s"); ``?format=csv`` exports the same rows unrounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import has_permission, requires
from accounts.views._common import csv_response, render_list, wants_partial
from health.charts import Bar, bars_with_line
from support.desk_selectors import agent_of_user
from support.report_forms import PeriodForm
from support.reports import (
    compare_with_previous,
    fiscal_year_start,
    next_month,
    previous_period,
    support_report,
    ytd_by_month,
)


@dataclass(frozen=True)
class Column:
    metric: str
    label: str
    kind: str  # count, duration, seconds, rate, money, score
    definition: str  # quoted from METRICS.md (qa_score: issue 5 / support.qa_selectors)


_COLUMNS = {c.metric: c for c in [
    Column("interactions", "Interactions", "count",
           "count of interactions started in the period, internal notes and `system` excluded"),
    Column("first_response_time", "First response time", "duration",
           "per ticket: `first_response_at - created_at` (earliest public outbound agent interaction after the "
           "first inbound contact interaction; a live inbound interaction's `answered_at` counts). Aggregated over "
           "tickets created in the period; tickets without a response are left out and counted as `unanswered`"),
    Column("unanswered", "Unanswered", "count", "tickets created in the period without a first response"),
    Column("asa", "ASA", "duration",
           "mean of `answered_at - queued_at` over inbound live interactions queued in the period and answered"),
    Column("abandoned", "Abandoned", "count", "inbound live interactions queued in the period with `answered_at` null"),
    Column("abandon_rate", "Abandon rate", "rate", "abandoned / queued"),
    Column("longest_wait", "Longest wait", "seconds",
           "max of `coalesce(answered_at, ended_at) - queued_at` over inbound live interactions queued in the period"),
    Column("handle_time", "Handle time (AHT)", "duration",
           "over interactions started in the period that have a handle time (explicit or live): `sum / count`, "
           "plus median and p90"),
    Column("resolution_time", "Resolution time", "duration",
           "per ticket `resolved_at - created_at` (first resolution); aggregated over tickets whose `resolved_at` "
           "falls in the period"),
    Column("full_resolution_time", "Full resolution time", "duration",
           "per ticket `last_resolved_at - created_at` (full); aggregated over tickets whose `resolved_at` falls "
           "in the period"),
    Column("chats_completed", "Chats completed", "count",
           "inbound `chat` interactions answered and ended in the period (by `ended_at`)"),
    Column("tickets_created", "Tickets created", "count", "by `created_at`"),
    Column("tickets_resolved", "Tickets resolved", "count", "by `resolved_at`"),
    Column("backlog", "Backlog", "count", "open at the period's end"),
    Column("sla_first_response_achievement", "SLA first response", "rate",
           "over tickets created in the period with an SLA policy: met / (met + breached); a ticket breaches when "
           "it has no first response by its due time"),
    Column("utilization", "Utilization", "rate",
           "sum of agents' online seconds (presence sessions, clipped to the period) / sum of their scheduled "
           "shift seconds in the period"),
    Column("cost_per_interaction", "Cost per interaction", "money",
           "the month's support cost entries / that month's interactions (per team where the cost entry names a "
           "team)"),
    Column("qa_score", "QA score", "score",
           "mean score (0-100) of the QA reviews submitted in the period, by reviewed agent / their team"),
]}
_PERSON = ["interactions", "first_response_time", "unanswered", "asa", "abandoned", "abandon_rate", "longest_wait",
           "handle_time", "resolution_time", "full_resolution_time", "chats_completed", "tickets_resolved",
           "sla_first_response_achievement", "utilization"]
AGENT_COLUMNS = [_COLUMNS[m] for m in [*_PERSON, "qa_score"]]
TEAM_COLUMNS = [_COLUMNS[m] for m in [*_PERSON, "cost_per_interaction", "qa_score"]]
PERIOD_COLUMNS = [_COLUMNS[m] for m in [*_PERSON[:11], "tickets_created", "tickets_resolved", "backlog",
                                        *_PERSON[12:], "cost_per_interaction", "qa_score"]]
YTD_COLUMNS = [_COLUMNS[m] for m in ["interactions", "first_response_time", "handle_time", "tickets_created",
                                     "tickets_resolved", "backlog", "utilization", "cost_per_interaction"]]


# ----------------------------------------------------------------------------------------- formatting


def duration_text(seconds: float | None) -> str:
    """Rounded for display: "45s", "8m 32s", "3h 05m", "2d 4h"."""
    if seconds is None:
        return "—"
    sign, s = ("-" if seconds < 0 else ""), round(abs(seconds))
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        return f"{sign}{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{sign}{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{sign}{s // 86400}d {s % 86400 // 3600}h"


def _value(value: Any) -> Any:
    return value.get("mean") if isinstance(value, dict) else value


def display(kind: str, value: Any, *, change: bool = False) -> str:
    value = _value(value)
    if value is None:
        return "—"
    plus = "+" if change and value > 0 else ""
    if kind in ("duration", "seconds"):
        return plus + duration_text(value)
    if kind == "rate":
        return f"{plus}{value * 100:.1f}{' pp' if change else '%'}"
    if kind == "money":
        return f"{plus}{value:,.2f}"
    if kind == "score":
        return f"{plus}{value:.1f}"
    return f"{plus}{value:,}" if isinstance(value, int) else f"{plus}{value:,.2f}"


def _detail(value: Any) -> str:
    if isinstance(value, dict):
        return (f"median {duration_text(value['median'])}, p90 {duration_text(value['p90'])}, "
                f"n={value['count']}")
    return ""


def table_rows(compared: list[dict], columns: list[Column]) -> list[dict]:
    """Display cells per compared row (support.reports.compare_with_previous)."""
    out = []
    for item in compared:
        cells = []
        for col in columns:
            now, prev = item["row"].get(col.metric), (item["previous"] or {}).get(col.metric)
            cells.append({"value": display(col.kind, now), "previous": display(col.kind, prev),
                          "change": display(col.kind, item["change"][col.metric], change=True),
                          "detail": _detail(now), "metric": col.metric})
        out.append({"group": item["group"], "cells": cells})
    return out


def _csv_value(value: Any, key: str = "mean") -> Any:
    if isinstance(value, dict):
        value = value.get(key)
    return "" if value is None else value


def csv_text(compared: list[dict], columns: list[Column], group_label: str) -> str:
    """The page's rows, unrounded: each figure, its previous period value and the change; durations in
    seconds (mean, plus median and p90)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = [group_label]
    for col in columns:
        header += [col.metric, f"{col.metric}_previous", f"{col.metric}_change"]
        if col.kind == "duration":
            header += [f"{col.metric}_median", f"{col.metric}_p90", f"{col.metric}_count"]
    writer.writerow(header)
    for item in compared:
        line = [item["group"] or ""]
        for col in columns:
            now, prev = item["row"].get(col.metric), (item["previous"] or {}).get(col.metric)
            line += [_csv_value(now), _csv_value(prev), _csv_value(item["change"][col.metric])]
            if col.kind == "duration":
                line += [_csv_value(now, "median"), _csv_value(now, "p90"), _csv_value(now, "count")]
        writer.writerow(line)
    return out.getvalue()


def ytd_csv_text(rows: list[dict], total: dict | None, columns: list[Column], group_label: str = "month") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([group_label, *[c.metric for c in columns]])
    for row in [*rows, *([{**total, "group": "total"}] if total else [])]:
        writer.writerow([row["group"] or "", *[_csv_value(row.get(c.metric)) for c in columns]])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ pages


def _today(request: HttpRequest) -> dt.date:
    return timezone.now().astimezone(request.tenant.zone).date()


def _period_form(request: HttpRequest) -> PeriodForm:
    """Always bound: an empty query is "this month" (PeriodForm.clean)."""
    return PeriodForm(request.GET, tenant=request.tenant, today=_today(request))


def _compared(request: HttpRequest, form: PeriodForm, group_by: str) -> tuple[list[dict], dict]:
    """The picked period's report beside the previous period's: two selector calls."""
    date_from, date_to = form.dates()
    prev_from, prev_to = previous_period(date_from, date_to)
    now = timezone.now()
    current = support_report(tenant=request.tenant, date_from=date_from, date_to=date_to, group_by=group_by, now=now)
    previous = support_report(tenant=request.tenant, date_from=prev_from, date_to=prev_to, group_by=group_by, now=now)
    period = {"from": date_from, "to": date_to - dt.timedelta(days=1), "previous_from": prev_from,
              "previous_to": prev_to - dt.timedelta(days=1)}
    return compare_with_previous(current, previous), period


def _base_context(form: PeriodForm, level: str, title: str, columns: list[Column], group_label: str) -> dict:
    return {"form": form, "level": level, "title": title, "columns": columns, "group_label": group_label,
            "url_name": f"report-{level}"}


def _level_page(request: HttpRequest, *, level: str, group_by: str, columns: list[Column], title: str,
                group_label: str, only_group: Any = False) -> HttpResponse:
    form = _period_form(request)
    context = _base_context(form, level, title, columns, group_label)
    if form.is_valid():
        compared, period = _compared(request, form, group_by)
        if only_group is not False:
            compared = [c for c in compared if only_group is not None and c["group"] == only_group]
        if request.GET.get("format") == "csv":
            return csv_response(csv_text(compared, columns, group_label), stem=f"report-{level}", request=request)
        context.update(rows=table_rows(compared, columns), period=period, compared=compared)
    return render_list(request, "support/reports/level.html", context)


@require_GET
@requires("reports.view")
def agent_report(request: HttpRequest) -> HttpResponse:
    only: Any = False
    if not has_permission(request, "reports.manage"):  # an agent: their own row only
        agent = agent_of_user(tenant=request.tenant, user=request.user)
        only = agent.email if agent else None
    return _level_page(request, level="agents", group_by="agent", columns=AGENT_COLUMNS, title="Agent report",
                       group_label="agent", only_group=only)


@require_GET
@requires("reports.manage")
def team_report(request: HttpRequest) -> HttpResponse:
    return _level_page(request, level="teams", group_by="team", columns=TEAM_COLUMNS, title="Team report",
                       group_label="team")


TEAM_YTD_COLUMNS = TEAM_COLUMNS[:-1]


@require_GET
@requires("reports.manage")
def management_report(request: HttpRequest) -> HttpResponse:
    """The period overall (with the previous period), YTD by month with its chart, and YTD by team.
    CSV: ``?format=csv`` the period table, ``&table=ytd`` the months, ``&table=ytd-teams`` the teams."""
    table = request.GET.get("table", "period")
    if request.GET.get("format") == "csv" and table == "ytd":
        months = _ytd_months(request)
        return csv_response(ytd_csv_text(months["rows"], months["total"], YTD_COLUMNS),
                            stem="report-management-ytd", request=request)
    if request.GET.get("format") == "csv" and table == "ytd-teams":
        teams = _ytd_teams(request)
        return csv_response(ytd_csv_text(teams["rows"], None, TEAM_YTD_COLUMNS, group_label="team"),
                            stem="report-management-ytd-teams", request=request)
    form = _period_form(request)
    if request.GET.get("format") == "csv" or not form.is_valid():
        return _level_page(request, level="management", group_by="none", columns=PERIOD_COLUMNS,
                           title="Management report", group_label="period")
    compared, period = _compared(request, form, "none")
    context = _base_context(form, "management", "Management report", PERIOD_COLUMNS, "period")
    context.update(rows=table_rows(compared, PERIOD_COLUMNS), compared=compared, period=period)
    if wants_partial(request):  # the picker swaps the period table only; YTD does not depend on it
        return render_list(request, "support/reports/management.html", context)
    months, teams = _ytd_months(request), _ytd_teams(request)
    chart = bars_with_line(
        [Bar(label=r["group"][2:], value=r["interactions"], title=f"{r['group']}: {r['interactions']} interactions")
         for r in months["rows"]],
        line_value=None, line_label="", aria_label=f"Interactions per month, {months['from']} to {months['to']}")
    ytd_rows = [{"group": r["group"], "cells": [display(c.kind, r.get(c.metric)) for c in YTD_COLUMNS]}
                for r in [*months["rows"], {**months["total"], "group": "YTD total"}]]
    team_rows = [{"group": r["group"], "cells": [display(c.kind, r.get(c.metric)) for c in TEAM_YTD_COLUMNS]}
                 for r in teams["rows"]]
    context.update(ytd=months, ytd_columns=YTD_COLUMNS, ytd_rows=ytd_rows, chart=chart, team_columns=TEAM_YTD_COLUMNS,
                   team_rows=team_rows)
    return render_list(request, "support/reports/management.html", context)


def _ytd_months(request: HttpRequest) -> dict:
    return ytd_by_month(tenant=request.tenant, today=_today(request), now=timezone.now())


def _ytd_teams(request: HttpRequest) -> dict:
    today = _today(request)
    start, end = fiscal_year_start(tenant=request.tenant, today=today), next_month(today.replace(day=1))
    return support_report(tenant=request.tenant, date_from=start, date_to=end, group_by="team", now=timezone.now())
