"""The support report: every figure of METRICS.md "Interactions and tickets", by group, in SQL.

:func:`support_report` is the ONE selector behind ``GET /api/v1/reports/support`` and the report pages,
so page and API cannot disagree. It runs a constant number of queries whatever the data (one per family
of facts: interactions by ``started_at``, live queue by ``queued_at``, chats by ``ended_at``, tickets by
``created_at``, by ``resolved_at``, backlog (support.records.backlog's open spans), presence, plus cost entries,
QA scores and group names); Python only merges their few result rows. Each family reads every period with
its own index-only range scan, and the families run two at a time on their own connections outside a
transaction (cs_platform.parallel_reads). ``ytd_by_month`` and ``team_months`` add their whole-range total
as one more period of the same queries. bench/support_reports.py measures them (README "Benchmarks").

Where the parts live: the periods (tenant-local ranges and months as UTC instants) in
support.reports.periods; each family's query in support.reports.families, built on support.reports.sql
(what counts as an interaction, whose an item is per grouping, the per-period LATERAL builder). This module
runs the families, merges their rows into the report's rows and holds the public functions.

Decisions, where METRICS.md leaves room (the README repeats them):

- **Periods.** ``from`` / ``to`` are tenant-local dates (``to`` exclusive), turned into UTC instants with
  the tenant's zone. ``group_by=month`` gives one row per tenant-local month of the range, each computed
  as a period of its own; a range starting or ending mid-month clips its first / last month to the range.
- **Empty sets.** A count of nothing is 0; a figure computed over a set (durations, ASA, longest wait,
  rates, utilization, cost per interaction) is ``null`` when the set is empty. A duration figure is the
  object ``{count, mean, median, p90}`` (mean = sum / count; median and p90 = ``percentile_cont``), or
  ``null`` when no item has one. Nothing is rounded.
- **What counts as an interaction** everywhere (counts, handle time, queue figures): internal notes and
  ``system`` interactions are excluded; bots count.
- **Attribution** (METRICS.md "Attribution when grouping"):
  by agent, an interaction to its ``agent``; the queue figures (ASA, abandoned, longest wait, the abandon
  rate's denominator) only when the interaction was answered (abandoned ones go to the ``null`` group);
  FRT and ``unanswered`` to ``first_responder`` (unanswered tickets thus to ``null``); resolution times
  and tickets resolved to ``resolved_assignee``; utilization to the session's agent;
  by team, the same through the agent's team, except that an unanswered live interaction belongs to its
  ``queue_team``;
  by channel, interactions by their channel, tickets by ``ticket.channel``.
  ``tickets_created`` and ``backlog`` are ``null`` by agent and by team; utilization is ``null`` by channel.
- **SLA first-response achievement** follows the FRT attribution (first responder, its team, the
  ticket's channel): met / (met + breached) with met/breached from support.sla.selectors.annotate_first_response_met,
  over tickets created in the period that have a policy. Breached tickets without any response go to the
  ``null`` agent/team group.
- **Backlog**: tickets created before the period's end whose latest status row before that instant is
  not ``resolved`` / ``closed`` (no row yet = ``new`` = open); read from support.records.backlog's open spans,
  which the records services derive from that same history (tests/support/records/test_backlog.py checks them
  against the definition on random histories).
- **Utilization**: online seconds / scheduled seconds, both clipped to the period (a running session
  counts until now); ``null`` without scheduled seconds.
- **Cost per interaction** (METRICS.md: per month): over the tenant-local months lying *wholly* inside
  the row's period that have cost entries: the sum of those entries / the interactions of those same
  months. So a month row is its month's figure, and a multi-month period gives total cost / total
  interactions of its costed whole months (months without an entry are left out of both sides, rather than
  diluting the figure). By team: the entries naming the team / that team's interactions; the overall
  (none, month) rows use every entry. ``null`` by agent and channel, for the ``null`` team, with no whole
  costed month, with no interactions, or when the entries mix currencies. A costed month's interactions
  are the interactions figure's own count when the month is a period of the report, else one count by
  month with the same inclusion and attribution SQL.
- ``csat_pct`` / ``csat_avg`` (METRICS.md "CSAT of a ticket"): over tickets, each counted by its latest CSAT
  response (by ``submitted_at``), in the period where that response's ``submitted_at`` falls (a ticket answered
  again later moves to the later period); 100 * count(score >= 4) / count and the mean score. Attributed like
  resolutions: by agent the ticket's ``resolved_assignee``, by team that agent's team, by channel the
  ticket's channel. Responses without a ticket are not a ticket's CSAT (they count in the survey report).
  ``null`` without such responses. One more query (support.reports.families._csat).
- ``qa_score`` (issue 5, support.qa.selectors.qa_scores): the mean score of QA reviews submitted in the
  period, by reviewed agent / their team; ``null`` by month and channel, for the ``null`` group, and for a
  group without submitted reviews. One more query (none, agent, team).
- ``agent_name`` (``group_by=agent`` only): the name the inbox shows for the agent (the name, else the
  email), from the same query as the email that labels the row; ``null`` for the ``null`` group.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from accounts.models import Tenant
from cs_platform.parallel_reads import run_reads
from support.models import Agent, Team
from support.reports.families import (
    _backlog,
    _chats,
    _cost_entries,
    _costed_months,
    _costs,
    _created,
    _csat,
    _interactions,
    _month_counts,
    _presence,
    _qa_by_key,
    _queue,
    _resolved,
)
from support.reports.periods import Period, _months, _period, fiscal_year_start, next_month

GROUP_BYS = ("none", "agent", "team", "month", "channel")


METRICS = (
    "interactions", "first_response_time", "unanswered", "asa", "abandoned", "abandon_rate", "longest_wait",
    "handle_time", "resolution_time", "full_resolution_time", "chats_completed", "tickets_created",
    "tickets_resolved", "backlog", "sla_first_response_achievement", "utilization", "cost_per_interaction",
    "csat_pct", "csat_avg",
)


def _duration(row: dict, prefix: str) -> dict | None:
    count = row.get(f"{prefix}_count") or 0
    if not count:
        return None
    return {"count": count, "mean": row[f"{prefix}_mean"], "median": row[f"{prefix}_median"],
            "p90": row[f"{prefix}_p90"]}


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if not denominator:
        return None
    return float(numerator or 0) / float(denominator)


def _row(facts: dict[str, dict], key_by: str) -> dict[str, Any]:
    i, q, c, t = facts.get("interactions", {}), facts.get("queue", {}), facts.get("chats", {}), facts.get("created", {})
    r, b, s, cost = facts.get("resolved", {}), facts.get("backlog", {}), facts.get("presence", {}), facts.get("cost")
    csat = facts.get("csat", {})
    csat_n = csat.get("csat_n") or 0
    by_person = key_by in ("agent", "team")
    cost_applies = key_by == "none" or (key_by == "team" and facts["key"] is not None)
    cost_value = None
    if cost_applies and cost and cost["currencies"] == 1 and cost["cost_interactions"]:
        cost_value = float(cost["amount"]) / cost["cost_interactions"]
    return {
        "interactions": i.get("interactions", 0),
        "first_response_time": _duration(t, "frt"),
        "unanswered": t.get("unanswered", 0),
        "asa": _duration(q, "asa"),
        "abandoned": q.get("abandoned", 0),
        "abandon_rate": _ratio(q.get("abandoned"), q.get("queued")),
        "longest_wait": q.get("longest_wait"),
        "handle_time": _duration(i, "handle"),
        "resolution_time": _duration(r, "res"),
        "full_resolution_time": _duration(r, "full"),
        "chats_completed": c.get("chats_completed", 0),
        "tickets_created": None if by_person else t.get("tickets_created", 0),
        "tickets_resolved": r.get("tickets_resolved", 0),
        "backlog": None if by_person else b.get("backlog", 0),
        "sla_first_response_achievement": _ratio(t.get("sla_met"),
                                                 (t.get("sla_met") or 0) + (t.get("sla_breached") or 0)),
        "utilization": None if key_by == "channel" else _ratio(s.get("online_seconds"), s.get("scheduled_seconds")),
        "cost_per_interaction": cost_value,
        "csat_pct": 100 * csat["csat_satisfied"] / csat_n if csat_n else None,
        "csat_avg": csat["csat_sum"] / csat_n if csat_n else None,
    }


def _group_names(tenant: Tenant, key_by: str, keys: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(label by key, display name by key)``: an agent is labelled by email (the API addresses agents by
    it) and shown by the name the inbox shows (``Agent.__str__``: the name, else the email); a team by its
    name for both."""
    if key_by not in ("agent", "team"):
        return {}, {}
    ids = [int(k) for k in keys if k is not None]
    if key_by == "agent":
        rows = Agent.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "email", "name")
        return {str(pk): email for pk, email, _ in rows}, {str(pk): name or email for pk, email, name in rows}
    names = {str(pk): name for pk, name in Team.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name")}
    return names, names


def _compute(tenant: Tenant, periods: list[Period], key_by: str, now: dt.datetime,
             qa_period: int | None) -> list[tuple[int, str | None, dict[str, Any]]]:
    """``(period index, group label, row)`` for every period x group with data (every period for
    ``none``), in a constant number of queries. Periods may overlap (YTD months and their total). The QA
    score is computed for ``periods[qa_period]`` only (None: no QA score)."""
    costed = _costed_months(periods) if key_by in ("none", "team") else []
    # A costed month that is a period of the report (YTD by month) takes its count from the interactions
    # query; the others (a costed month inside a longer period) from one light count by month.
    month_periods = {(p.date_lo, p.date_hi): i for i, p in enumerate(periods)}
    uncounted = [m for m in costed if (m, next_month(m)) not in month_periods]
    # Independent queries, longest first: cs_platform.parallel_reads runs them two at a time when it may.
    jobs: dict[str, Callable[[], Any]] = {
        "interactions": lambda: _interactions(tenant, periods, key_by),
        "resolved": lambda: _resolved(tenant, periods, key_by),
        "created": lambda: _created(tenant, periods, key_by, now),
    }
    if uncounted:
        jobs["month_counts"] = lambda: _month_counts(tenant, uncounted, key_by)
    if key_by not in ("agent", "team"):
        jobs["backlog"] = lambda: _backlog(tenant, periods, key_by)
    jobs["queue"] = lambda: _queue(tenant, periods, key_by)
    if key_by != "channel":
        jobs["presence"] = lambda: _presence(tenant, periods, key_by, now)
    jobs["chats"] = lambda: _chats(tenant, periods, key_by)
    jobs["csat"] = lambda: _csat(tenant, periods, key_by)
    families = run_reads(jobs)
    if costed:
        counted = {(r["idx"], r["k"]): r["interactions"] for r in families["interactions"]}
        other_months = families.pop("month_counts", {})

        def month_count(month: dt.date, scope: str | None) -> int:
            idx = month_periods.get((month, next_month(month)))
            if idx is None:
                pairs = other_months.items()
                return sum(n for (m, k), n in pairs if m == month and (scope is None or k == scope))
            return sum(n for (i, k), n in counted.items() if i == idx and (scope is None or k == scope))

        families["cost"] = _costs(periods, key_by, _cost_entries(tenant, costed), month_count)

    facts: dict[tuple[int, str | None], dict[str, Any]] = defaultdict(dict)
    for family, rows in families.items():
        for row in rows:
            facts[(row["idx"], row["k"])][family] = row
    names, shown = _group_names(tenant, key_by, {k for _, k in facts})
    qa = _qa_by_key(tenant, periods[qa_period], key_by) if qa_period is not None else None
    out = []
    for idx in range(len(periods)):
        keys = [None] if key_by == "none" else sorted({k for i, k in facts if i == idx},
                                                      key=lambda k: (k is None, k or ""))
        for key in keys:
            label = (names.get(key) if key is not None else None) if key_by in ("agent", "team") else key
            row = _row({**facts.get((idx, key), {}), "key": key}, key_by)
            row["qa_score"] = qa.get(key) if qa is not None and idx == qa_period else None
            if key_by == "agent":
                row["agent_name"] = shown.get(key) if key is not None else None
            out.append((idx, label, row))
    return out


def _by_group_name(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["group"] is None, (r["group"] or "").lower()))


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from >= date_to:
        raise ValueError("date_to must be after date_from")


def support_report(*, tenant: Tenant, date_from: dt.date, date_to: dt.date, group_by: str = "none",
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """API.md "Report shape" for tenant-local ``[date_from, date_to)`` (module docstring for the rules)."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BYS)}")
    _check_range(date_from, date_to)
    now = now or timezone.now()
    if group_by == "month":
        periods = _months(date_from, date_to, tenant.zone)
        computed = _compute(tenant, periods, "none", now, qa_period=None)
        rows = [{"group": periods[idx].label, **row} for idx, _, row in computed]
    else:
        periods = [_period(None, date_from, date_to, tenant.zone)]
        qa_period = 0 if group_by in ("none", "agent", "team") else None
        rows = [{"group": label, **row} for _, label, row in _compute(tenant, periods, group_by, now, qa_period)]
        if group_by in ("agent", "team"):
            rows = _by_group_name(rows)
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "group_by": group_by,
            "timezone": tenant.timezone, "rows": rows}


def team_months(*, tenant: Tenant, date_from: dt.date, date_to: dt.date,
                now: dt.datetime | None = None) -> dict[str, Any]:
    """Per tenant-local month of ``[date_from, date_to)`` and team (METRICS.md team attribution; ``group``
    None = no team): the support_report row of that team in that month, each month its own period.
    Months x teams with no data at all are left out. Rows by month, then team name; their QA score is null.

    ``totals``: each team's row over the whole range, exactly ``support_report(group_by="team")["rows"]``
    (QA score included), computed by the same queries as one more, overlapping, period."""
    _check_range(date_from, date_to)
    months = _months(date_from, date_to, tenant.zone)
    periods = [*months, _period(None, date_from, date_to, tenant.zone)]
    computed = _compute(tenant, periods, "team", now or timezone.now(), qa_period=len(months))
    rows = [{"month": periods[idx].label, "group": label, **row} for idx, label, row in computed
            if idx < len(months)]
    rows.sort(key=lambda r: (r["month"], r["group"] is None, (r["group"] or "").lower()))
    totals = _by_group_name([{"group": label, **row} for idx, label, row in computed if idx == len(months)])
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "timezone": tenant.timezone, "rows": rows,
            "totals": totals}


def _figure(value: Any) -> Any:
    """The comparable number of a figure: a duration's mean, else the value itself."""
    return value.get("mean") if isinstance(value, dict) else value


def compare_with_previous(report: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row of ``report`` beside the same group's row of ``previous`` (the same selector over
    :func:`support.reports.periods.previous_period`):
    ``{"group", "row", "previous" (row or None), "change": {metric: delta}}``.
    A change is current - previous of the figure (a duration's mean); ``None`` when either side is ``null``.
    Rows of ``previous`` without a counterpart in ``report`` are not shown."""
    before = {r["group"]: r for r in previous["rows"]}
    out = []
    for row in report["rows"]:
        prev = before.get(row["group"])
        change = {}
        for metric in (*METRICS, "qa_score"):
            now_value = _figure(row.get(metric))
            then_value = _figure(prev.get(metric)) if prev else None
            change[metric] = None if now_value is None or then_value is None else now_value - then_value
        out.append({"group": row["group"], "row": row, "previous": prev, "change": change})
    return out


def ytd_by_month(*, tenant: Tenant, today: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """METRICS.md YTD "by month": one row per month from the fiscal-year start through the current month
    (each its own period), and ``total`` computed over the whole range (never an average of months).
    Months and total come from the same queries (the total is one more, overlapping, period)."""
    date_from = fiscal_year_start(tenant=tenant, today=today)
    date_to = next_month(today.replace(day=1))
    months = _months(date_from, date_to, tenant.zone)
    periods = [*months, _period(None, date_from, date_to, tenant.zone)]
    computed = _compute(tenant, periods, "none", now or timezone.now(), qa_period=len(months))
    rows = [{"group": periods[idx].label, **row} for idx, _, row in computed]
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "timezone": tenant.timezone,
            "rows": rows[:-1], "total": rows[-1]}
