"""The support report's queries, one per family of facts: interactions by ``started_at``, the live queue by
``queued_at``, chats by ``ended_at``, tickets by ``created_at`` and by ``resolved_at``, the backlog
(support.records.backlog's open spans), presence, the cost entries with the interactions of their months,
and the QA scores.

Each takes the report's periods and its grouping (``key_by``: none, agent, team, channel) and gives rows
keyed by period index (``idx``) and group key (``k``); support.reports.selectors runs them side by side
and merges their rows. The SQL they share (what counts, attribution, the per-period builder) is
support.reports.sql.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Sum

from accounts.models import Tenant
from support.models import SupportCost
from support.qa.selectors import qa_scores
from support.records.backlog import backlog_at
from support.reports.periods import Period, _period, _whole_months, next_month
from support.reports.sql import (
    _ANSWERED_CHAT,
    _SESSION_KEY,
    COUNTED,
    FIRST_RESPONSE_KEY,
    INTERACTION_KEY,
    LIVE_INBOUND,
    QUEUE_KEY,
    RESOLUTION_KEY,
    _fetch,
    _per_period,
    _periods_cte,
    _Sql,
    _stats,
    exact_seconds_sum,
    seconds_sql,
)
from support.sla.selectors import first_response_met_sql


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


# The CSAT of a ticket (METRICS.md): its latest CSAT response (by submitted_at, then id), whenever given. The
# ticket's CSAT falls in the period of that response's submitted_at, and follows the resolution attribution
# (resolved_assignee and that agent's team; the ticket's channel). Responses without a ticket are not a
# ticket's CSAT: they count in the survey report (surveys.reports), not here.
_LATEST_CSAT = """(SELECT DISTINCT ON (r.ticket_id) r.tenant_id, r.ticket_id, r.score, r.submitted_at
        FROM surveys_surveyresponse r JOIN surveys_survey s ON s.id = r.survey_id AND s.kind = 'csat'
        WHERE r.tenant_id = {tenant} AND r.ticket_id IS NOT NULL
        ORDER BY r.ticket_id, r.submitted_at DESC, r.id DESC) c
    JOIN support_ticket t ON t.id = c.ticket_id"""


def _csat(tenant: Tenant, periods: list[Period], key_by: str) -> list[dict]:
    return _per_period(
        tenant, periods, key=RESOLUTION_KEY[key_by], grouped=key_by != "none",
        aggregates=lambda sql: ("COUNT(*) AS csat_n, COUNT(*) FILTER (WHERE c.score >= 4) AS csat_satisfied, "
                                "SUM(c.score) AS csat_sum"),
        source=_LATEST_CSAT.format(tenant="%s"), source_params=[tenant.pk], agent_column="t.resolved_assignee_id",
        by_team=key_by == "team", time_column="c.submitted_at")


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
               {exact_seconds_sum(online, "s.kind = 'online'")} AS online_seconds,
               {exact_seconds_sum(scheduled, "s.kind = 'scheduled'")} AS scheduled_seconds
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


def _qa_by_key(tenant: Tenant, period: Period, key_by: str) -> dict[str | None, float | None] | None:
    """QA score per group key (one query), or None when the grouping has no QA score (channel)."""
    if key_by not in ("none", "agent", "team"):
        return None
    rows = qa_scores(tenant=tenant, date_from_utc=period.lo, date_to_utc=period.hi, group_by=key_by)
    if key_by == "none":
        return {None: rows[0]["qa_score"]}
    id_field = "agent_id" if key_by == "agent" else "team_id"
    return {str(r[id_field]): r["qa_score"] for r in rows}
