"""The support report: every figure of METRICS.md "Interactions and tickets", by group, in SQL.

:func:`support_report` is the ONE selector behind ``GET /api/v1/reports/support`` and the report pages,
so page and API cannot disagree. It runs a constant number of queries whatever the data (one per family
of facts: interactions by ``started_at``, live queue by ``queued_at``, chats by ``ended_at``, tickets by
``created_at``, by ``resolved_at``, backlog (support.records.backlog's open spans), presence, plus cost entries,
QA scores and group names); Python only merges their few result rows. Each family reads every period with
its own index-only range scan, and the families run two at a time on their own connections outside a
transaction (cs_platform.parallel_reads). ``ytd_by_month`` and ``team_months`` add their whole-range total
as one more period of the same queries. bench/support_reports.py measures them (README "Benchmarks").

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
- ``csat_pct`` / ``csat_avg`` are ``null`` until surveys exist.
- ``qa_score`` (issue 5, support.qa.selectors.qa_scores): the mean score of QA reviews submitted in the
  period, by reviewed agent / their team; ``null`` by month and channel, for the ``null`` group, and for a
  group without submitted reviews. One more query (none, agent, team).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Tenant
from cs_platform.parallel_reads import run_reads
from support.models import Agent, SupportCost, Team
from support.qa.selectors import qa_scores
from support.records.backlog import backlog_at
from support.sla.selectors import first_response_met_sql

GROUP_BYS = ("none", "agent", "team", "month", "channel")


METRICS = (
    "interactions", "first_response_time", "unanswered", "asa", "abandoned", "abandon_rate", "longest_wait",
    "handle_time", "resolution_time", "full_resolution_time", "chats_completed", "tickets_created",
    "tickets_resolved", "backlog", "sla_first_response_achievement", "utilization", "cost_per_interaction",
    "csat_pct", "csat_avg",
)


LIVE = "('chat', 'phone')"


COUNTED = "NOT i.is_internal AND i.author_type <> 'system'"


# Written exactly as the partial indexes' predicates (support.models.Interaction), so the planner uses them.
LIVE_INBOUND = f"i.direction = 'inbound' AND i.channel IN {LIVE}"


_ANSWERED_CHAT = "i.direction = 'inbound' AND i.channel = 'chat' AND i.answered_at IS NOT NULL"


@dataclass(frozen=True)
class Period:
    label: str | None  # "YYYY-MM" for month rows
    lo: dt.datetime  # UTC, inclusive
    hi: dt.datetime  # UTC, exclusive
    date_lo: dt.date  # the same bounds as tenant-local dates (cost entries are per local month)
    date_hi: dt.date


def local_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant at which a tenant-local day starts."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The comparison period: the same number of days immediately before ``[date_from, date_to)``."""
    return date_from - (date_to - date_from), date_from


def _period(label: str | None, lo: dt.date, hi: dt.date, zone: zoneinfo.ZoneInfo) -> Period:
    return Period(label, local_start(lo, zone), local_start(hi, zone), lo, hi)


def _months(date_from: dt.date, date_to: dt.date, zone: zoneinfo.ZoneInfo) -> list[Period]:
    """One period per tenant-local month of the range, the first and last clipped to it."""
    periods, month = [], date_from.replace(day=1)
    while month < date_to:
        periods.append(_period(f"{month:%Y-%m}", max(month, date_from), min(next_month(month), date_to), zone))
        month = next_month(month)
    return periods


def _whole_months(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    month = date_from if date_from.day == 1 else next_month(date_from)
    while next_month(month) <= date_to:
        yield month
        month = next_month(month)


class _Sql:
    """Positional parameters collected in the order the SQL text is written."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "%s"


def _periods_cte(sql: _Sql, periods: list[Period]) -> str:
    rows = ", ".join(f"({i}, {sql.p(p.lo)}::timestamptz, {sql.p(p.hi)}::timestamptz)" for i, p in enumerate(periods))
    return f"periods(idx, lo, hi) AS (VALUES {rows})"


def _stats(expr: str, prefix: str) -> str:
    return (f"COUNT({expr}) AS {prefix}_count, AVG({expr}) AS {prefix}_mean, "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr}) AS {prefix}_median, "
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {expr}) AS {prefix}_p90")


def seconds_sql(interval: str) -> str:
    """SQL for an interval in seconds (double precision)."""
    # date_part, not EXTRACT: EXTRACT returns numeric since PostgreSQL 14, ~5x slower per row here.
    return f"date_part('epoch', {interval})"


# Group keys per family of facts and grouping (``key_by``: none, agent, team, channel; months are periods).
# Native types, not text: grouping sorts by the key, and ids sort far faster as integers and channels in the
# "C" collation than as text in the database's locale; _fetch turns keys into strings.
INTERACTION_KEY = {
    "none": "NULL::bigint", "agent": "i.agent_id", "channel": 'i.channel COLLATE "C"',
    "team": f"(CASE WHEN i.channel IN {LIVE} AND i.answered_at IS NULL THEN i.queue_team_id ELSE a.team_id END)",
}


QUEUE_KEY = {
    **INTERACTION_KEY,
    "agent": "(CASE WHEN i.answered_at IS NOT NULL THEN i.agent_id END)",
    "team": "(CASE WHEN i.answered_at IS NOT NULL THEN a.team_id ELSE i.queue_team_id END)",
}


FIRST_RESPONSE_KEY = {"none": "NULL::bigint", "agent": "t.first_responder_id",
                       "team": "a.team_id", "channel": 't.channel COLLATE "C"'}


RESOLUTION_KEY = {**FIRST_RESPONSE_KEY, "agent": "t.resolved_assignee_id"}


_SESSION_KEY = {"none": "NULL::bigint", "agent": "s.agent_id", "team": "a.team_id"}


def _fetch(sql_text: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows as dicts, the group key ``k`` as a string (or None)."""
    with connection.cursor() as cursor:
        cursor.execute(sql_text, params)
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        if row.get("k") is not None:
            row["k"] = str(row["k"])
    return rows


def _per_period(tenant: Tenant, periods: list[Period], *, key: str, aggregates: Callable[[_Sql], str],
                source: str, agent_column: str, by_team: bool, time_column: str, where: str = "",
                grouped: bool = True) -> list[dict]:
    """One family of facts for every period: ``SELECT <key> AS k, <aggregates> FROM <source>`` over the rows
    whose ``time_column`` falls in the period (and ``where``), grouped by key.

    Each period is read with its own index range scan (``CROSS JOIN LATERAL`` over the periods): no sort
    of the whole range by period before the per-group percentile sorts, and overlapping periods (YTD months
    and their total) cost only their own rows; covering indexes make them index-only scans. Without
    ``grouped`` an empty period still gives its one row of zero counts and null figures.
    ``aggregates`` may add parameters: it is called after the periods' and before the tenant's."""
    sql = _Sql()
    cte = _periods_cte(sql, periods)
    columns = aggregates(sql)
    alias = time_column.split(".")[0]
    agent_join = f"LEFT JOIN support_agent a ON a.id = {agent_column}" if by_team else ""  # for the agent's team
    text = f"""WITH {cte} SELECT p.idx, x.* FROM periods p CROSS JOIN LATERAL (
        SELECT {key} AS k, {columns}
        FROM {source} {agent_join}
        WHERE {alias}.tenant_id = {sql.p(tenant.pk)} AND {time_column} >= p.lo AND {time_column} < p.hi {where}
        {"GROUP BY 1" if grouped else ""}) x"""  # noqa: S608 (every fragment is ours; values are parameters)
    return _fetch(text, sql.params)


def _interactions(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    return _per_period(
        tenant, periods, key=INTERACTION_KEY[key_by], grouped=key_by != "none",
        aggregates=lambda sql: f"COUNT(*) AS interactions, {_stats('i.handle_time_seconds', 'handle')}",
        source="support_interaction i", agent_column="i.agent_id", by_team=key_by == "team",
        time_column="i.started_at", where=f"AND {COUNTED}")


def _queue(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    return _per_period(
        tenant, periods, key=QUEUE_KEY[key_by], grouped=key_by != "none",
        aggregates=lambda sql: f"""COUNT(*) AS queued, COUNT(*) FILTER (WHERE i.answered_at IS NULL) AS abandoned,
               MAX({seconds_sql("COALESCE(i.answered_at, i.ended_at) - i.queued_at")}) AS longest_wait,
               {_stats(seconds_sql("i.answered_at - i.queued_at"), "asa")}""",
        source="support_interaction i", agent_column="i.agent_id", by_team=key_by == "team",
        time_column="i.queued_at", where=f"AND {COUNTED} AND {LIVE_INBOUND}")


def _chats(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    return _per_period(
        tenant, periods, key=QUEUE_KEY[key_by], grouped=key_by != "none",
        aggregates=lambda sql: "COUNT(*) AS chats_completed",
        source="support_interaction i", agent_column="i.agent_id", by_team=key_by == "team",
        time_column="i.ended_at", where=f"AND {COUNTED} AND {_ANSWERED_CHAT}")


def _created(tenant: Tenant, periods: list[Period], key_by: str, now: dt.datetime) -> list[dict]:
    def aggregates(sql: _Sql) -> str:
        met, also_met = first_response_met_sql("t", sql.p(now)), first_response_met_sql("t", sql.p(now))
        return f"""COUNT(*) AS tickets_created, COUNT(*) FILTER (WHERE t.first_response_at IS NULL) AS unanswered,
               {_stats(seconds_sql("t.first_response_at - t.created_at"), "frt")},
               COUNT(*) FILTER (WHERE t.sla_policy_id IS NOT NULL AND {met}) AS sla_met,
               COUNT(*) FILTER (WHERE t.sla_policy_id IS NOT NULL AND NOT {also_met}) AS sla_breached"""

    return _per_period(
        tenant, periods, key=FIRST_RESPONSE_KEY[key_by], grouped=key_by != "none", aggregates=aggregates,
        source="support_ticket t", agent_column="t.first_responder_id", by_team=key_by == "team",
        time_column="t.created_at")


def _resolved(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    return _per_period(
        tenant, periods, key=RESOLUTION_KEY[key_by], grouped=key_by != "none",
        aggregates=lambda sql: f"""COUNT(*) AS tickets_resolved,
               {_stats(seconds_sql("t.resolved_at - t.created_at"), "res")},
               {_stats(seconds_sql("t.last_resolved_at - t.created_at"), "full")}""",
        source="support_ticket t", agent_column="t.resolved_assignee_id", by_team=key_by == "team",
        time_column="t.resolved_at")


def _backlog(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    """Tickets open at each period's end (support.records.backlog: one pass over the open spans)."""
    open_at = backlog_at(tenant.pk, [p.hi for p in periods], by_channel=key_by == "channel")
    return [{"idx": idx, "k": k, "backlog": n} for idx, p in enumerate(periods)
            for (end, k), n in open_at.items() if end == p.hi]


def _presence(tenant: Tenant, periods: list[Period], key_by: str, now: dt.datetime) -> list[dict]:
    sql = _Sql()
    cte = _periods_cte(sql, periods)

    def clipped() -> str:  # a running session counts until now
        until = f"LEAST(COALESCE(s.ended_at, {sql.p(now)}::timestamptz), p.hi)"
        return seconds_sql(f"{until} - GREATEST(s.started_at, p.lo)")

    online, scheduled = clipped(), clipped()  # parameters are collected in the order of the text
    text = f"""WITH {cte}
        SELECT p.idx, {_SESSION_KEY[key_by]} AS k,
               SUM({online}) FILTER (WHERE s.kind = 'online') AS online_seconds,
               SUM({scheduled}) FILTER (WHERE s.kind = 'scheduled') AS scheduled_seconds
        FROM periods p
        JOIN support_agentsession s ON s.tenant_id = {sql.p(tenant.pk)} AND s.started_at < p.hi
             AND COALESCE(s.ended_at, {sql.p(now)}::timestamptz) > p.lo
        JOIN support_agent a ON a.id = s.agent_id
        GROUP BY 1, 2"""  # noqa: S608 (every fragment is ours; values are parameters)
    return _fetch(text, sql.params)


def _costed_months(periods: list[Period]) -> list[dt.date]:
    """The tenant-local months lying wholly inside some period: cost entries count only for those."""
    return sorted({m for p in periods for m in _whole_months(p.date_lo, p.date_hi)})


def _month_counts(tenant: Tenant, months: list[dt.date], key_by: str) -> dict[tuple[dt.date, str | None], int]:
    """Interactions per (month, team or None) for costed months that are not periods of the report: counts
    only (no percentile sorts), with the interactions figure's own inclusion and team attribution."""
    by_team = key_by == "team"
    rows = _per_period(
        tenant, [_period(f"{m:%Y-%m}", m, next_month(m), tenant.zone) for m in months],
        key=INTERACTION_KEY["team"] if by_team else "NULL::bigint", aggregates=lambda sql: "COUNT(*) AS n",
        source="support_interaction i", agent_column="i.agent_id", by_team=by_team, time_column="i.started_at",
        where=f"AND {COUNTED}")
    return {(months[r["idx"]], r["k"]): r["n"] for r in rows}


def _cost_entries(tenant: Tenant, months: list[dt.date]) -> list[dict]:
    """Support cost entries of those months, summed per (month, team, currency): a handful of rows."""
    if not months:
        return []
    return list(SupportCost.objects.filter(tenant=tenant, month__in=months).values("month", "team_id", "currency")
                .annotate(amount=Sum("amount")).order_by())


def _costs(periods: list[Period], key_by: str, entries: list[dict],
           month_count: Callable[[dt.date, str | None], int]) -> list[dict]:
    """Per (period, scope): the cost entries of the period's whole months and the interactions of those of
    its months that have an entry in scope (scope None = every entry and every interaction; by team, a team
    id = the entries naming that team and that team's interactions). ``month_count(month, scope)``."""
    out = []
    for idx, period in enumerate(periods):
        months = set(_whole_months(period.date_lo, period.date_hi))
        mine = [e for e in entries if e["month"] in months]
        scopes: set[int | None] = {None} | ({e["team_id"] for e in mine if e["team_id"]} if key_by == "team" else set())
        for scope in scopes:
            in_scope = [e for e in mine if scope is None or e["team_id"] == scope]
            if not in_scope:
                continue
            key = None if scope is None else str(scope)
            out.append({"idx": idx, "k": key, "amount": sum(e["amount"] for e in in_scope),
                        "currencies": len({e["currency"] for e in in_scope}),
                        "cost_interactions": sum(month_count(m, key) for m in {e["month"] for e in in_scope})})
    return out


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
        "csat_pct": None,  # surveys do not exist yet
        "csat_avg": None,
    }


def _group_names(tenant: Tenant, key_by: str, keys: set[str]) -> dict[str, str]:
    if key_by not in ("agent", "team"):
        return {}
    ids = [int(k) for k in keys if k is not None]
    if key_by == "agent":
        rows = Agent.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "email")
        return {str(pk): email for pk, email in rows}
    if key_by == "team":
        return {str(pk): name for pk, name in Team.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name")}
    return {}


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
    names = _group_names(tenant, key_by, {k for _, k in facts})
    qa = _qa_by_key(tenant, periods[qa_period], key_by) if qa_period is not None else None
    out = []
    for idx in range(len(periods)):
        keys = [None] if key_by == "none" else sorted({k for i, k in facts if i == idx},
                                                      key=lambda k: (k is None, k or ""))
        for key in keys:
            label = (names.get(key) if key is not None else None) if key_by in ("agent", "team") else key
            row = _row({**facts.get((idx, key), {}), "key": key}, key_by)
            out.append((idx, label, {**row, "qa_score": qa.get(key) if qa is not None and idx == qa_period else None}))
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


def _qa_by_key(tenant: Tenant, period: Period, key_by: str) -> dict[str | None, float | None] | None:
    """QA score per group key (one query), or None when the grouping has no QA score (channel)."""
    if key_by not in ("none", "agent", "team"):
        return None
    rows = qa_scores(tenant=tenant, date_from_utc=period.lo, date_to_utc=period.hi, group_by=key_by)
    if key_by == "none":
        return {None: rows[0]["qa_score"]}
    id_field = "agent_id" if key_by == "agent" else "team_id"
    return {str(r[id_field]): r["qa_score"] for r in rows}


def _figure(value: Any) -> Any:
    """The comparable number of a figure: a duration's mean, else the value itself."""
    return value.get("mean") if isinstance(value, dict) else value


def compare_with_previous(report: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row of ``report`` beside the same group's row of ``previous`` (the same selector over
    :func:`previous_period`): ``{"group", "row", "previous" (row or None), "change": {metric: delta}}``.
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


def fiscal_year_start(*, tenant: Tenant, today: dt.date) -> dt.date:
    start_month = tenant.fiscal_year_start_month or 1
    year = today.year if today.month >= start_month else today.year - 1
    return dt.date(year, start_month, 1)


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
