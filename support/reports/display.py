"""What the support report pages show and export: the columns with their METRICS.md definitions, display
rounding ("8m 32s"), table rows with the previous-period change, CSV text, the duration histograms as SVG
and the YTD team x month tables. No queries here: support.reports.views fetches, this module formats.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cs_platform.web.charts import Bar, horizontal_bars
from cs_platform.web.pages import csv_text as write_csv
from support.reports.distributions import BUCKETS, FIGURES, Histogram

_CODE = re.compile(r"`([^`]+)`")


def code_html(text: str) -> SafeString:
    """A definition as HTML: METRICS.md's `code` spans as <code>, everything escaped."""
    parts = _CODE.split(text)  # odd items are the insides of backticks
    return mark_safe("".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p)  # noqa: S308 (escaped)
                             for i, p in enumerate(parts)))


def plain_text(text: str) -> str:
    """A definition for a tooltip (an attribute shows no markup): the backticks dropped."""
    return _CODE.sub(r"\1", text)


@dataclass(frozen=True)
class Column:
    metric: str
    label: str
    kind: str  # count, duration, seconds, rate, money, score
    definition: str  # quoted from METRICS.md (qa_score: issue 5 / support.qa.selectors)

    @property
    def definition_html(self) -> SafeString:
        return code_html(self.definition)

    @property
    def definition_plain(self) -> str:
        return plain_text(self.definition)


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
    Column("csat_pct", "CSAT %", "pct",
           "CSAT of a ticket: its latest CSAT response (scale 1-5), counted in the period of that response's "
           "`submitted_at`: 100 * count(score >= 4) / count(*) over those tickets; by agent and team the ticket's "
           "attribution (the agent assigned when it was first resolved, and that agent's team)"),
]}


_PERSON = ["interactions", "first_response_time", "unanswered", "asa", "abandoned", "abandon_rate", "longest_wait",
           "handle_time", "resolution_time", "full_resolution_time", "chats_completed", "tickets_resolved",
           "sla_first_response_achievement", "utilization"]


AGENT_COLUMNS = [_COLUMNS[m] for m in [*_PERSON, "qa_score", "csat_pct"]]


TEAM_COLUMNS = [_COLUMNS[m] for m in [*_PERSON, "cost_per_interaction", "qa_score", "csat_pct"]]


PERIOD_COLUMNS = [_COLUMNS[m] for m in [*_PERSON[:11], "tickets_created", "tickets_resolved", "backlog",
                                        *_PERSON[12:], "cost_per_interaction", "qa_score", "csat_pct"]]


YTD_COLUMNS = [_COLUMNS[m] for m in ["interactions", "first_response_time", "handle_time", "tickets_created",
                                     "tickets_resolved", "backlog", "utilization", "cost_per_interaction"]]


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
    if kind == "pct":
        return f"{plus}{value:.1f}{' pp' if change else '%'}"
    return f"{plus}{value:,}" if isinstance(value, int) else f"{plus}{value:,.2f}"


def _detail(value: Any) -> str:
    if isinstance(value, dict):
        return (f"median {duration_text(value['median'])}, p90 {duration_text(value['p90'])}, "
                f"n={value['count']}")
    return ""


# The figures in themed tables of at most six columns, so that a 1280 px screen shows every figure of a
# row without scrolling sideways (one table of 17 columns was 2,430 px wide). A page shows the sections
# with at least one of its columns, in this order.
SECTIONS = [
    ("Volume", ["interactions", "tickets_created", "tickets_resolved", "chats_completed", "backlog", "unanswered"]),
    ("Speed", ["first_response_time", "asa", "longest_wait", "abandoned", "abandon_rate",
               "sla_first_response_achievement"]),
    ("Handling and resolution", ["handle_time", "resolution_time", "full_resolution_time", "utilization"]),
    ("Quality and cost", ["qa_score", "csat_pct", "cost_per_interaction"]),
]


# What the row without a group holds (METRICS.md "Attribution when grouping", support.reports.selectors).
NO_GROUP = {
    "agent": ("No agent", "work no agent owns: customers' messages, bot messages, calls nobody answered, and "
                          "tickets without a first response or resolved while unassigned"),
    "team": ("No team", "work of agents in no team and work no agent owns: customers' messages, bot messages, "
                        "calls abandoned in a queue of no team, and tickets without a first response"),
}


def group_name(item: dict, group_label: str) -> str:
    """A row's name as people read it: an agent as the inbox shows them, the null group by what it is."""
    if item["group"] is None:
        return NO_GROUP[group_label][0] if group_label in NO_GROUP else "All"
    return item["row"].get("agent_name") or item["group"]


def table_rows(compared: list[dict], columns: list[Column], group_label: str = "period") -> list[dict]:
    """Display cells per compared row (support.reports.selectors.compare_with_previous)."""
    out = []
    for item in compared:
        cells = []
        for col in columns:
            now, prev = item["row"].get(col.metric), (item["previous"] or {}).get(col.metric)
            cells.append({"value": display(col.kind, now), "previous": display(col.kind, prev),
                          "change": display(col.kind, item["change"][col.metric], change=True),
                          "detail": _detail(now), "metric": col.metric})
        out.append({"group": item["group"], "name": group_name(item, group_label), "cells": cells})
    return out


def sectioned(rows: list[dict], columns: list[Column]) -> list[dict]:
    """:func:`table_rows` (or :func:`value_rows`) split into :data:`SECTIONS`: ``[{"title", "columns": [(footnote
    number, column)], "rows": [{..., "cells"}]}]``, each cell and column in its section only; the footnote
    number is the column's place in the page's list of definitions."""
    out = []
    for title, metrics in SECTIONS:
        picked = [i for i, col in enumerate(columns) if col.metric in metrics]
        if picked:
            out.append({"title": title, "columns": [(i + 1, columns[i]) for i in picked],
                        "rows": [{**row, "cells": [row["cells"][i] for i in picked]} for row in rows]})
    return out


def _csv_value(value: Any, key: str = "mean") -> Any:
    if isinstance(value, dict):
        value = value.get(key)
    return "" if value is None else value


def csv_text(compared: list[dict], columns: list[Column], group_label: str) -> str:
    """The page's rows, unrounded: each figure, its previous period value and the change; durations in
    seconds (mean, plus median and p90)."""
    header = [group_label]
    for col in columns:
        header += [col.metric, f"{col.metric}_previous", f"{col.metric}_change"]
        if col.kind == "duration":
            header += [f"{col.metric}_median", f"{col.metric}_p90", f"{col.metric}_count"]
    lines = []
    for item in compared:
        line = [item["group"] or ""]
        for col in columns:
            now, prev = item["row"].get(col.metric), (item["previous"] or {}).get(col.metric)
            line += [_csv_value(now), _csv_value(prev), _csv_value(item["change"][col.metric])]
            if col.kind == "duration":
                line += [_csv_value(now, "median"), _csv_value(now, "p90"), _csv_value(now, "count")]
        lines.append(line)
    return write_csv(header, lines)


def ytd_csv_text(rows: list[dict], total: dict | None, columns: list[Column], group_label: str = "month") -> str:
    return write_csv([group_label, *[c.metric for c in columns]],
                     [[row["group"] or "", *[_csv_value(row.get(c.metric)) for c in columns]]
                      for row in [*rows, *([{**total, "group": "total"}] if total else [])]])


TEAM_YTD_COLUMNS = [_COLUMNS[m] for m in [*_PERSON, "cost_per_interaction", "csat_pct"]]  # QA: period only


TEAM_MONTH_COLUMNS = [_COLUMNS[m] for m in ["interactions", "asa", "csat_pct", "handle_time", "cost_per_interaction"]]


def value_rows(rows: list[dict], columns: list[Column]) -> list[dict]:
    """Display cells of selector rows shown without a previous period (YTD tables)."""
    return [{"group": r["group"], "name": r["group"] or NO_GROUP["team"][0],
             "cells": [display(c.kind, r.get(c.metric)) for c in columns]} for r in rows]


# What each histogram counts (METRICS.md, per item rather than aggregated; support.reports.distributions).
DISTRIBUTION_DEFINITIONS = {
    "handle_time": "per interaction started in the period that has a handle time (explicit, or `ended_at - "
                   "answered_at` of a live one); internal notes and `system` excluded",
    "first_response_time": "per ticket created in the period that has a first response: `first_response_at - "
                           "created_at`; tickets without a response are not in it (see Unanswered)",
    "resolution_time": "per ticket whose first resolution (`resolved_at`) falls in the period: `resolved_at - "
                       "created_at`",
    "asa": "per inbound live (chat, phone) interaction queued in the period and answered: `answered_at - "
           "queued_at`",
}


def distribution_charts(histograms: dict[str, Histogram]) -> list[dict[str, Any]]:
    """One horizontal-bar histogram per duration figure, with its definition and item count."""
    out = []
    for metric in FIGURES:
        histogram, column = histograms[metric], _COLUMNS[metric]
        bars = [Bar(label=label, value=n, title=f"{column.label} {label}: {n:,}", muted=n == 0)
                for (label, _), n in zip(BUCKETS, histogram.counts, strict=True)]
        svg: SafeString = horizontal_bars(
            bars, aria_label=f"{column.label}: how {histogram.total:,} items spread over duration buckets")
        out.append({"metric": metric, "label": column.label,
                    "definition": code_html(DISTRIBUTION_DEFINITIONS[metric]),
                    "total": histogram.total, "svg": svg})
    return out


def month_labels(date_from: str, date_to: str) -> list[str]:
    """"YYYY-MM" of every month of ``[date_from, date_to)`` (ISO dates as support.reports answers them)."""
    year, month = int(date_from[:4]), int(date_from[5:7])
    out = []
    while f"{year:04d}-{month:02d}-01" < date_to:
        out.append(f"{year:04d}-{month:02d}")
        year, month = year + month // 12, month % 12 + 1
    return out


def team_month_tables(result: dict[str, Any]) -> list[dict[str, Any]]:
    """support.reports.selectors.team_months as one table per team (by name, "no team" last) with a row for every
    month of the range. A month without a row of that team had no data: its counts are 0 and its figures
    null, as the selector gives for an empty set. A team none of whose rows has anything to show in
    TEAM_MONTH_COLUMNS is left out (e.g. "no team" holding only unanswered tickets, a figure not shown)."""
    by_team: dict[str | None, dict[str, dict]] = defaultdict(dict)
    for row in result["rows"]:
        if _shows_something(row):
            by_team[row["group"]][row["month"]] = row
    months = month_labels(result["from"], result["to"])
    teams = sorted(by_team, key=lambda name: (name is None, (name or "").lower()))
    return [{"team": team,
             "rows": [by_team[team].get(month) or _empty_row(month, team) for month in months]}
            for team in teams]


def _shows_something(row: dict[str, Any]) -> bool:
    return any(row.get(c.metric) not in (None, 0) for c in TEAM_MONTH_COLUMNS)


def _empty_row(month: str, team: str | None) -> dict[str, Any]:
    return {"month": month, "group": team, **{c.metric: 0 if c.kind == "count" else None for c in _COLUMNS.values()}}


def team_month_display(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"team": t["team"],
             "rows": [{"month": r["month"], "cells": [{"value": display(c.kind, r.get(c.metric)),
                                                       "detail": _detail(r.get(c.metric))}
                                                      for c in TEAM_MONTH_COLUMNS]} for r in t["rows"]]}
            for t in tables]


def team_month_csv_text(tables: list[dict[str, Any]]) -> str:
    """The team x month tables unrounded: one line per team and month; durations in seconds."""
    header = ["team", "month"]
    for col in TEAM_MONTH_COLUMNS:
        header.append(col.metric)
        if col.kind == "duration":
            header += [f"{col.metric}_median", f"{col.metric}_p90", f"{col.metric}_count"]
    lines = []
    for table in tables:
        for row in table["rows"]:
            line = [table["team"] or "", row["month"]]
            for col in TEAM_MONTH_COLUMNS:
                line.append(_csv_value(row.get(col.metric)))
                if col.kind == "duration":
                    line += [_csv_value(row.get(col.metric), k) for k in ("median", "p90", "count")]
            lines.append(line)
    return write_csv(header, lines)
