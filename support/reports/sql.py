"""The SQL that the support report's queries share (support.reports.families, and the duration histograms
of support.reports.distributions): which interactions count, whose an item is per grouping (METRICS.md
"Attribution when grouping"), the duration statistics, and the per-period builder: every period of a
report read by its own index range scan (``CROSS JOIN LATERAL`` over the periods), run by :func:`_fetch`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from accounts.models import Tenant
from support.reports.periods import Period

LIVE = "('chat', 'phone')"


COUNTED = "NOT i.is_internal AND i.author_type <> 'system'"


# Written exactly as the partial indexes' predicates (support.models.Interaction), so the planner uses them.
LIVE_INBOUND = f"i.direction = 'inbound' AND i.channel IN {LIVE}"


_ANSWERED_CHAT = "i.direction = 'inbound' AND i.channel = 'chat' AND i.answered_at IS NOT NULL"


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


def exact_seconds_mean(expr: str) -> str:
    """The mean of a duration in seconds, the same whatever order the rows arrive in.

    ``AVG`` over a float is a running float sum whose last digits depend on the row order, which a plan
    change alters (another tenant's data growing, a parallel scan): tenant A's figure would move in its
    16th digit when B's table grows (tests/isolation/test_answers_unchanged.py caught it). Timestamps are
    whole microseconds, so the durations are summed as whole microseconds in integers (PostgreSQL's exact
    accumulator) and divided once. A handle time given with finer precision than that (the API takes
    seconds as a float) counts to the nearest microsecond; METRICS.md's mean is still sum / count."""
    return f"(AVG(round(({expr}) * 1000000)::bigint) / 1000000)::float8"


def exact_seconds_sum(expr: str, where: str | None = None) -> str:
    """A sum of durations in seconds (over the rows matching ``where``), exact in any row order
    (:func:`exact_seconds_mean`)."""
    only = f" FILTER (WHERE {where})" if where else ""
    return f"(SUM(round(({expr}) * 1000000)::bigint){only} / 1000000)::float8"


def _stats(expr: str, prefix: str) -> str:
    return (f"COUNT({expr}) AS {prefix}_count, {exact_seconds_mean(expr)} AS {prefix}_mean, "
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
                grouped: bool = True, source_params: list[Any] | None = None) -> list[dict]:
    """One family of facts for every period: ``SELECT <key> AS k, <aggregates> FROM <source>`` over the rows
    whose ``time_column`` falls in the period (and ``where``), grouped by key.

    Each period is read with its own index range scan (``CROSS JOIN LATERAL`` over the periods): no sort
    of the whole range by period before the per-group percentile sorts, and overlapping periods (YTD months
    and their total) cost only their own rows; covering indexes make them index-only scans. Without
    ``grouped`` an empty period still gives its one row of zero counts and null figures.
    ``aggregates`` may add parameters: it is called after the periods' and before the tenant's;
    ``source_params`` are those of ``source`` (a subquery), which the text puts between the two."""
    sql = _Sql()
    cte = _periods_cte(sql, periods)
    columns = aggregates(sql)
    sql.params.extend(source_params or [])
    alias = time_column.split(".")[0]
    agent_join = f"LEFT JOIN support_agent a ON a.id = {agent_column}" if by_team else ""  # for the agent's team
    text = f"""WITH {cte} SELECT p.idx, x.* FROM periods p CROSS JOIN LATERAL (
        SELECT {key} AS k, {columns}
        FROM {source} {agent_join}
        WHERE {alias}.tenant_id = {sql.p(tenant.pk)} AND {time_column} >= p.lo AND {time_column} < p.hi {where}
        {"GROUP BY 1" if grouped else ""}) x"""  # noqa: S608 (every fragment is ours; values are parameters)
    return _fetch(text, sql.params)
