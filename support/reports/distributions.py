"""Distributions of the support report's duration figures (issue 5: "distributions for durations"):
how many handle times, first response times, resolution times and speeds of answer fall in each of a few
fixed, human buckets, over a tenant-local period and the rows a report page shows.

One query per histogram, not one ``UNION ALL`` of the four: under row-level security PostgreSQL reads
the tenant setting (an InitPlan of the policy) inside each branch of a union, which keeps the whole plan
out of parallel workers (2x slower at 100k tickets, README "Benchmarks / Row-level security"); a query
over one table reads it once, above its parallel scan.

Each histogram counts exactly the items behind the ``count`` of the matching
support.reports.selectors.support_report figure, with the same attribution (METRICS.md; tested against
the selector on a fixture), so a histogram's bars add up to that figure's count:

- handle time: interactions started in the period with a handle time (explicit or live); internal notes
  and ``system`` interactions excluded; by agent its ``agent``, by team the agent's team, except that an
  unanswered live interaction belongs to its ``queue_team``;
- ASA: ``answered_at - queued_at`` of inbound live (chat, phone) interactions queued in the period and
  answered, same exclusions; by the answering agent / their team;
- first response time: ``first_response_at - created_at`` of tickets created in the period that have a
  first response; by first responder / their team;
- resolution time: ``resolved_at - created_at`` (first resolution) of tickets whose ``resolved_at`` is in
  the period; by the assignee at first resolution / their team.

Buckets hold their lower edge, not their upper one ("1-5m" is 60 s <= d < 300 s). A negative duration
(clock skew in imported data) lands in the first bucket, as it counts in the figure too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.db import connection

from accounts.models import Tenant
from support.reports.periods import local_start
from support.reports.sql import (
    COUNTED,
    FIRST_RESPONSE_KEY,
    INTERACTION_KEY,
    LIVE_INBOUND,
    QUEUE_KEY,
    RESOLUTION_KEY,
    seconds_sql,
)

# (label, lower edge in seconds); the first bucket has no lower edge.
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("< 1m", None), ("1–5m", 60), ("5–15m", 300), ("15m–1h", 900), ("1–4h", 3600), ("4–24h", 14400),
    ("1–3d", 86400), ("≥ 3d", 259200),
)


EDGES = [edge for _, edge in BUCKETS if edge is not None]


FIGURES = ("handle_time", "first_response_time", "resolution_time", "asa")


# Whose an item is, per figure and grouping: support.reports' own attribution expressions (``a`` = the
# attributed agent), so histograms and figures cannot drift apart. ASA items are answered, so the queue's
# agent key is the answering agent.
_OWNER = {
    "handle_time": {"agent": INTERACTION_KEY["agent"], "team": INTERACTION_KEY["team"]},
    "asa": {"agent": QUEUE_KEY["agent"], "team": QUEUE_KEY["team"]},
    "first_response_time": {"agent": FIRST_RESPONSE_KEY["agent"], "team": FIRST_RESPONSE_KEY["team"]},
    "resolution_time": {"agent": RESOLUTION_KEY["agent"], "team": RESOLUTION_KEY["team"]},
}


_SOURCES = {  # (seconds, FROM with the attributed agent as ``a``, WHERE with {lo} {hi} for the period, alias)
    "handle_time": ("i.handle_time_seconds",
                    "support_interaction i LEFT JOIN support_agent a ON a.id = i.agent_id",
                    f"i.started_at >= {{lo}} AND i.started_at < {{hi}} AND {COUNTED} "
                    "AND i.handle_time_seconds IS NOT NULL", "i"),
    "asa": (seconds_sql("i.answered_at - i.queued_at"),
            "support_interaction i LEFT JOIN support_agent a ON a.id = i.agent_id",
            f"i.queued_at >= {{lo}} AND i.queued_at < {{hi}} AND {COUNTED} AND {LIVE_INBOUND} "
            "AND i.answered_at IS NOT NULL", "i"),
    "first_response_time": (seconds_sql("t.first_response_at - t.created_at"),
                            "support_ticket t LEFT JOIN support_agent a ON a.id = t.first_responder_id",
                            "t.created_at >= {lo} AND t.created_at < {hi} AND t.first_response_at IS NOT NULL",
                            "t"),
    "resolution_time": (seconds_sql("t.resolved_at - t.created_at"),
                        "support_ticket t LEFT JOIN support_agent a ON a.id = t.resolved_assignee_id",
                        "t.resolved_at >= {lo} AND t.resolved_at < {hi}", "t"),
}


@dataclass(frozen=True)
class Scope:
    """Whose items: everyone's (``none``, the tenant), or those attributed to the given agents / teams."""

    by: Literal["none", "agent", "team"] = "none"
    ids: frozenset[int] = field(default_factory=frozenset)


TENANT_WIDE = Scope()


@dataclass(frozen=True)
class Histogram:
    metric: str
    counts: tuple[int, ...]  # one per BUCKETS

    @property
    def total(self) -> int:
        return sum(self.counts)


def duration_distributions(*, tenant: Tenant, date_from: dt.date, date_to: dt.date,
                           scope: Scope = TENANT_WIDE) -> dict[str, Histogram]:
    """The four histograms for tenant-local ``[date_from, date_to)``: four queries (none when the scope
    names no agent or team: nothing to count)."""
    if date_from >= date_to:
        raise ValueError("date_to must be after date_from")
    counts = {metric: [0] * len(BUCKETS) for metric in FIGURES}
    if scope.by == "none" or scope.ids:
        lo, hi = local_start(date_from, tenant.zone), local_start(date_to, tenant.zone)
        for metric, bucket, n in _fetch(tenant.pk, lo, hi, scope):
            counts[metric][bucket] = n
    return {metric: Histogram(metric, tuple(c)) for metric, c in counts.items()}


def _fetch(tenant_id: int, lo: dt.datetime, hi: dt.datetime, scope: Scope) -> list[tuple[str, int, int]]:
    rows: list[tuple[str, int, int]] = []
    with connection.cursor() as cursor:
        for metric in FIGURES:
            cursor.execute(*_figure_query(metric, tenant_id, lo, hi, scope))
            rows += [(metric, bucket, n) for bucket, n in cursor.fetchall()]
    return rows


def _figure_query(metric: str, tenant_id: int, lo: dt.datetime, hi: dt.datetime, scope: Scope) -> tuple[str, list]:
    seconds, source, where, alias = _SOURCES[metric]
    sql = (f"SELECT width_bucket({seconds}, %s::double precision[]) AS bucket, COUNT(*) "  # noqa: S608 (ours)
           f"FROM {source} WHERE {alias}.tenant_id = %s AND {where.format(lo='%s', hi='%s')}")
    params = [EDGES, tenant_id, lo, hi]
    if scope.by != "none":
        sql += f" AND {_OWNER[metric][scope.by]} = ANY(%s)"
        params.append(sorted(scope.ids))
    return sql + " GROUP BY 1", params
