"""Every component input (health.scores.components) of many accounts as of one local day d, set-based: one
statement per input family whatever the number of accounts (METRICS.md "Health": from data up to the end of
d only, d in the tenant's time zone).

Families and where they come from:
- usage (one SQL statement, one pass over the ``health_usage_rollups`` view, whose ``day`` is already the
  tenant's local day, so windows are date arithmetic as in health.usage.selectors.adoption): active users
  trend, license utilization, breadth, depth, onboarding milestones, the account fields (seats, contract
  start, renewal date, lifecycle stage, tier) read in the same statement,
  and the feature category per seat of every category some scorecard counts;
- training adoption: learning.reports.selectors.trained_contacts_as_of;
- NPS and CSAT: surveys.selectors (latest NPS answer by d; mean CSAT over the 90 days ending d);
- support: support.records.selectors (tickets created in the 30 days ending d, high/urgent tickets open at
  the end of d) and support.sla.selectors (breaches whose due time fell in the 30 days ending d).

Three entry points, the same values (tests/health/scores/test_inputs.py compares them): :func:`inputs_as_of`
(given accounts), :func:`tenant_inputs_as_of` (every account of the tenant, no id list: the full recompute)
and :func:`inputs_for_days` (many days, the usage of all of them in one pass over the rollups: the backfill).

Decisions the docs leave open:
- Tenure and days to renewal use the account's *current* contract fields (``contract_start``,
  ``renewal_date``), not history, until the retention issue adds subscription periods; a backfill of past
  days therefore sees today's renewal date. Tenure is None before the contract start; days to renewal may
  be negative (a renewal date already passed and not moved).
- Onboarding milestones have data only in the account's first 90 days (d - contract start from 0 to 89)
  and only when the catalog has value milestones; milestones count from the contract start on.
- Active users trend = active users in the 30 days ending d / active users in the 30 days before; None when
  nobody was active in the earlier window (a ratio over nothing).
- Missing data is None: no seats (or 0) for every per-seat input; counts of nothing over a recorded seat
  count are real zeros (0 tickets per seat, 0 open tickets, 0 breaches are good news, not missing data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from accounts.models import Tenant
from health.usage.selectors.adoption import _rows, window_start
from learning.reports.selectors import trained_contacts_as_of
from support.records.selectors import open_high_priority_by_account, tickets_created_by_account
from support.sla.selectors import sla_breaches_by_account
from surveys.selectors import latest_nps_by_account, mean_csat_by_account

WINDOW_DAYS = 30
CSAT_DAYS = 90
FIRST_DAYS = 90


@dataclass
class AccountInputs:
    """One account's inputs as of ``day``: ``values`` by component key (None = no data), ``per_category`` the
    feature-category-per-seat input by category; the stage and tier pick its scorecard."""

    account_id: int
    day: dt.date
    lifecycle_stage: str
    tier: str
    values: dict[str, float | None] = field(default_factory=dict)
    per_category: dict[str, float | None] = field(default_factory=dict)


def local_bounds(tenant: Tenant, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[first instant of local day start, first instant of the local day after end)`` in the tenant's zone."""
    zone = tenant.zone
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


_ACCOUNT_IDS_SQL = """
SELECT a.id FROM accounts_customeraccount a
WHERE a.tenant_id = %(tenant)s AND (%(ids)s::bigint[] IS NULL OR a.id = ANY(%(ids)s::bigint[]))
ORDER BY a.id
"""


def account_ids(*, tenant: Tenant, only: Sequence[int] | None = None) -> list[int]:
    """The tenant's account ids in order (of ``only`` when given: ids of other tenants drop out)."""
    return [r[0] for r in _rows(_ACCOUNT_IDS_SQL, {"tenant": tenant.pk, "ids": list(only) if only is not None
                                                   else None})]


# One pass over the rollups of the 90 days ending d (the base CTE, materialized so that the usage figures, the
# onboarding milestones and the feature categories aggregate the same rows instead of reading the rollups
# three times): the usage windows need 60 days, the milestones of an account in its first 90 days at most 90.
_BASE_SQL = """
WITH acc AS (
    SELECT a.id, a.seats, a.contract_start, a.renewal_date, a.lifecycle_stage, a.tier
    FROM accounts_customeraccount a
    WHERE a.tenant_id = %(tenant)s AND (%(ids)s::bigint[] IS NULL OR a.id = ANY(%(ids)s::bigint[]))
),
base AS MATERIALIZED (  -- the id range repeats what acc implies, for the planner (see _usage_inputs)
    SELECT ud.account_id, c.id AS contact_id, ud.day, ud.count, ce.id AS entry_id, ce.feature, ce.category,
           COALESCE(ce.is_value_milestone, false) AS is_milestone
    FROM health_usage_rollups ud
    JOIN acc ON acc.id = ud.account_id
    LEFT JOIN accounts_contact c
           ON c.id = ud.contact_id AND c.account_id = ud.account_id AND c.tenant_id = ud.tenant_id
          AND c.account_id BETWEEN %(first)s AND %(last)s
    LEFT JOIN health_catalogentry ce ON ce.tenant_id = ud.tenant_id AND ce.event_name = ud.event_name
    WHERE ud.tenant_id = %(tenant)s AND ud.account_id BETWEEN %(first)s AND %(last)s
      AND ud.day BETWEEN %(scan_start)s AND %(day)s AND ud.count > 0
),
"""

_USAGE_SQL = "".join((_BASE_SQL, """
usage AS (
    SELECT account_id,
           COUNT(DISTINCT contact_id) FILTER (WHERE day >= %(w_start)s) AS active,
           COUNT(DISTINCT contact_id) FILTER (WHERE day < %(w_start)s) AS active_before,
           COALESCE(SUM(count) FILTER (WHERE day >= %(w_start)s), 0) AS events,
           COUNT(DISTINCT feature) FILTER (WHERE day >= %(w_start)s) AS features_used
    FROM base WHERE day >= %(before_start)s
    GROUP BY account_id
),
milestones AS (  -- only meaningful in the first 90 days, when every day since the contract start is in base
    SELECT b.account_id, COUNT(DISTINCT b.entry_id) AS reached
    FROM base b JOIN acc ON acc.id = b.account_id
    WHERE b.is_milestone AND b.day >= acc.contract_start
    GROUP BY b.account_id
),
categories AS (
    SELECT account_id, array_agg(category ORDER BY category) AS names, array_agg(events ORDER BY category) AS events
    FROM (SELECT account_id, category, SUM(count) AS events FROM base
          WHERE day >= %(w_start)s AND category = ANY(%(categories)s::text[])
          GROUP BY account_id, category) per_account_category
    GROUP BY account_id
),
catalog AS (
    SELECT COUNT(DISTINCT feature) AS features, COUNT(*) FILTER (WHERE is_value_milestone) AS milestones
    FROM health_catalogentry WHERE tenant_id = %(tenant)s
)
SELECT acc.id, acc.seats, acc.contract_start, acc.renewal_date, acc.lifecycle_stage, acc.tier,
       COALESCE(u.active, 0), COALESCE(u.active_before, 0), COALESCE(u.events, 0), COALESCE(u.features_used, 0),
       catalog.features, catalog.milestones, COALESCE(m.reached, 0), cat.names, cat.events
FROM acc CROSS JOIN catalog
LEFT JOIN usage u ON u.account_id = acc.id
LEFT JOIN milestones m ON m.account_id = acc.id
LEFT JOIN categories cat ON cat.account_id = acc.id
ORDER BY acc.id
"""))


# Many days in one pass (the backfill, :func:`inputs_for_days`): the same base rows, over the 90 days before the
# first day to the last, and every figure of every day from them, without a pass per day. On a dense grid of
# (account, local day), a window sum is a window function over the 30 preceding rows, and a distinct count
# over a 30-day window ("contacts active in the 30 days ending d", "features used") is a running sum of +1/-1:
# the days a member (a contact, a feature) covers are the union of [a, a + 29] over its active days a, merged
# into runs (a new run when a day is more than 30 days after the previous one), +1 where a run starts and -1
# the day after it ends. Active users in the 30 days before = active users as of d - 30 (30 grid rows back).
# Milestones: +1 on the first day an entry is used on or after the contract start (only the first 90 days are
# ever read, which lie inside the scan). Every sum is cast back to bigint (a sum of bigints is numeric).
_USAGE_DAYS_SQL = "".join((_BASE_SQL, """
grid AS (
    SELECT acc.id AS account_id, g::date AS day
    FROM acc CROSS JOIN generate_series(%(scan_start)s::date, %(day)s::date, interval '1 day') g
),
contact_starts AS (  -- contacts and features apart: each sorts on its own type (a bigint, a "C" string)
    SELECT account_id, contact_id, day,
           CASE WHEN LAG(day) OVER w IS NULL OR day > LAG(day) OVER w + 30 THEN 1 ELSE 0 END AS new_run
    FROM (SELECT DISTINCT account_id, contact_id, day FROM base WHERE contact_id IS NOT NULL) m
    WINDOW w AS (PARTITION BY account_id, contact_id ORDER BY day)
),
feature_starts AS (
    SELECT account_id, feature, day,
           CASE WHEN LAG(day) OVER w IS NULL OR day > LAG(day) OVER w + 30 THEN 1 ELSE 0 END AS new_run
    FROM (SELECT DISTINCT account_id, feature COLLATE "C" AS feature, day FROM base WHERE feature IS NOT NULL) m
    WINDOW w AS (PARTITION BY account_id, feature ORDER BY day)
),
runs AS (
    SELECT account_id, 'c' AS kind, MIN(day) AS first_day, MAX(day) + 30 AS after_day
    FROM (SELECT *, SUM(new_run) OVER (PARTITION BY account_id, contact_id ORDER BY day) AS run
          FROM contact_starts) s
    GROUP BY account_id, contact_id, run
    UNION ALL
    SELECT account_id, 'f', MIN(day), MAX(day) + 30
    FROM (SELECT *, SUM(new_run) OVER (PARTITION BY account_id, feature ORDER BY day) AS run FROM feature_starts) s
    GROUP BY account_id, feature, run
),
deltas AS (
    SELECT account_id, day, SUM(active) AS active, SUM(features) AS features
    FROM (SELECT account_id, first_day AS day, (kind = 'c')::int AS active, (kind = 'f')::int AS features FROM runs
          UNION ALL
          SELECT account_id, after_day, -(kind = 'c')::int, -(kind = 'f')::int FROM runs) d
    GROUP BY account_id, day
),
daily AS (SELECT account_id, day, SUM(count) AS events FROM base GROUP BY account_id, day),
firsts AS (
    SELECT account_id, day, COUNT(*) AS reached
    FROM (SELECT b.account_id, b.entry_id, MIN(b.day) AS day FROM base b JOIN acc ON acc.id = b.account_id
          WHERE b.is_milestone AND b.day >= acc.contract_start GROUP BY b.account_id, b.entry_id) f
    GROUP BY account_id, day
),
series AS (
    SELECT g.account_id, g.day,
           (SUM(COALESCE(d.active, 0)) OVER w)::bigint AS active,
           (SUM(COALESCE(d.features, 0)) OVER w)::bigint AS features_used,
           (SUM(COALESCE(e.events, 0)) OVER (w ROWS BETWEEN 29 PRECEDING AND CURRENT ROW))::bigint AS events,
           (SUM(COALESCE(m.reached, 0)) OVER w)::bigint AS reached
    FROM grid g
    LEFT JOIN deltas d ON d.account_id = g.account_id AND d.day = g.day
    LEFT JOIN daily e ON e.account_id = g.account_id AND e.day = g.day
    LEFT JOIN firsts m ON m.account_id = g.account_id AND m.day = g.day
    WINDOW w AS (PARTITION BY g.account_id ORDER BY g.day)
),
category_days AS (
    SELECT account_id, category, day, SUM(count) AS events FROM base
    WHERE category = ANY(%(categories)s::text[]) GROUP BY account_id, category, day
),
category_series AS (
    SELECT g.account_id, g.day, k.category,
           (SUM(COALESCE(cd.events, 0)) OVER (PARTITION BY g.account_id, k.category ORDER BY g.day
                                              ROWS BETWEEN 29 PRECEDING AND CURRENT ROW))::bigint AS events
    FROM grid g
    JOIN (SELECT DISTINCT account_id, category FROM category_days) k ON k.account_id = g.account_id
    LEFT JOIN category_days cd ON cd.account_id = g.account_id AND cd.category = k.category AND cd.day = g.day
),
categories AS (
    SELECT account_id, day, array_agg(category ORDER BY category) AS names,
           array_agg(events ORDER BY category) AS events
    FROM category_series WHERE events > 0 AND day = ANY(%(days)s::date[])
    GROUP BY account_id, day
),
catalog AS (
    SELECT COUNT(DISTINCT feature) AS features, COUNT(*) FILTER (WHERE is_value_milestone) AS milestones
    FROM health_catalogentry WHERE tenant_id = %(tenant)s
)
SELECT s.day, acc.id, acc.seats, acc.contract_start, acc.renewal_date, acc.lifecycle_stage, acc.tier,
       s.active, s.active_before, s.events, s.features_used, catalog.features, catalog.milestones, s.reached,
       cat.names, cat.events
FROM (SELECT series.*, COALESCE(LAG(active, 30) OVER (PARTITION BY account_id ORDER BY day), 0) AS active_before
      FROM series) s
JOIN acc ON acc.id = s.account_id
CROSS JOIN catalog
LEFT JOIN categories cat ON cat.account_id = s.account_id AND cat.day = s.day
WHERE s.day = ANY(%(days)s::date[])
ORDER BY s.day, acc.id
"""))


def _onboarding(day: dt.date, contract_start: dt.date | None, milestones: int, reached: int) -> float | None:
    if contract_start is None or not milestones or not 0 <= (day - contract_start).days < FIRST_DAYS:
        return None
    return reached / milestones


# Bounds of "every account of the tenant" for the id range below (ids are positive bigints).
_NO_RANGE = (0, 2 ** 63 - 1)


def _usage_params(tenant: Tenant, day: dt.date, ids: list[int] | None, categories: list[str]) -> dict:
    w_start = window_start(day, WINDOW_DAYS)
    # ids None = every account of the tenant: the statement then joins on the tenant only (the NULL test is a
    # constant the planner folds away), one pass over the tenant's rollups of the 90 days, and a hash of its
    # contacts built once instead of once per chunk.
    # With ids, their range bounds the rollup and contact scans: the planner cannot see inside the id array (nor
    # through the row-level security InitPlans) and would plan for the whole tenant, hashing every contact of
    # the tenant for each chunk; with the range it reads the chunk's slice of the (tenant, account, ...)
    # indexes, so consecutive chunks of sorted ids read each account's rows once.
    first, last = (min(ids), max(ids)) if ids is not None else _NO_RANGE
    return {"tenant": tenant.pk, "ids": ids, "first": first, "last": last, "day": day, "w_start": w_start,
            "categories": categories, "before_start": w_start - dt.timedelta(days=WINDOW_DAYS),
            "scan_start": window_start(day, FIRST_DAYS)}


def _account_inputs(day: dt.date, row: tuple, categories: list[str]) -> AccountInputs:
    (account_id, seats, contract_start, renewal_date, stage, tier, active, active_before, events, used,
     features, milestones, reached, names, counts) = row
    per_category = dict(zip(names or [], counts or [], strict=True))
    return AccountInputs(
        account_id=account_id, day=day, lifecycle_stage=stage, tier=tier,
        per_category={c: _ratio(float(per_category.get(c, 0)), seats) for c in categories},
        values={
            "active_users_trend": _ratio(active, active_before),
            "license_utilization": _ratio(active, seats),
            "breadth": _ratio(used, features),
            "depth": _ratio(int(events), active),
            "category_usage_per_seat": None,  # one input per category: per_category (compute.input_of)
            "onboarding_milestones": _onboarding(day, contract_start, milestones, reached),
            "tenure": float((day - contract_start).days) if contract_start and contract_start <= day else None,
            "days_to_renewal": float((renewal_date - day).days) if renewal_date else None,
        })


def _usage_inputs(tenant: Tenant, day: dt.date, ids: list[int] | None,
                  categories: list[str]) -> tuple[dict[int, AccountInputs], dict[int, int | None]]:
    result, seats_of = {}, {}
    for row in _rows(_USAGE_SQL, _usage_params(tenant, day, ids, categories)):
        result[row[0]], seats_of[row[0]] = _account_inputs(day, row, categories), row[1]
    return result, seats_of


def inputs_as_of(*, tenant: Tenant, day: dt.date, account_ids: Sequence[int],
                 categories: Sequence[str] = ()) -> dict[int, AccountInputs]:
    """Every input of the given accounts (ids of other tenants are ignored) as of local day ``day``, with the
    feature-category input for each of ``categories``. A fixed number of queries whatever the accounts."""
    ids = list(account_ids)
    return _inputs(tenant, day, ids, categories) if ids else {}


def tenant_inputs_as_of(*, tenant: Tenant, day: dt.date, categories: Sequence[str] = ()) -> dict[int, AccountInputs]:
    """:func:`inputs_as_of` of every account of the tenant, the same values, each family read in one statement
    over the whole tenant (no id list: the full recompute's path, health.scores.services.recompute)."""
    return _inputs(tenant, day, None, categories)


def inputs_for_days(*, tenant: Tenant, days: Sequence[dt.date], account_ids: Sequence[int] | None = None,
                    categories: Sequence[str] = ()) -> dict[dt.date, dict[int, AccountInputs]]:
    """:func:`inputs_as_of` (or :func:`tenant_inputs_as_of` when ``account_ids`` is None) for each of ``days``,
    the same values, the usage of every day read in one pass over the rollups from 89 days before the first
    day to the last (the backfill's path); the other families one query per day each. Memory grows with
    accounts x (days spanned + 89): callers pass blocks (health.scores.services.recompute)."""
    days = sorted(set(days))
    ids = list(account_ids) if account_ids is not None else None
    if not days or ids == []:
        return {}
    categories = sorted(set(categories))
    params = {**_usage_params(tenant, days[-1], ids, categories), "scan_start": window_start(days[0], FIRST_DAYS),
              "days": days}
    usage: dict[dt.date, tuple[dict, dict]] = {day: ({}, {}) for day in days}
    for day, *row in _rows(_USAGE_DAYS_SQL, params):
        result, seats_of = usage[day]
        result[row[0]], seats_of[row[0]] = _account_inputs(day, tuple(row), categories), row[1]
    return {day: _with_other_families(tenant, day, ids, *usage[day]) for day in days}


def _inputs(tenant: Tenant, day: dt.date, ids: list[int] | None,
            categories: Sequence[str]) -> dict[int, AccountInputs]:
    return _with_other_families(tenant, day, ids, *_usage_inputs(tenant, day, ids, sorted(set(categories))))


def _with_other_families(tenant: Tenant, day: dt.date, ids: list[int] | None, result: dict[int, AccountInputs],
                         seats_of: dict[int, int | None]) -> dict[int, AccountInputs]:
    if not result:
        return {}
    ids = list(result) if ids is not None else None  # the other families' selectors: these ids, or the tenant
    month_start, end = local_bounds(tenant, window_start(day, WINDOW_DAYS), day)
    csat_start, _ = local_bounds(tenant, window_start(day, CSAT_DAYS), day)
    trained = trained_contacts_as_of(tenant=tenant, account_ids=ids, until=end)
    nps = latest_nps_by_account(tenant=tenant, account_ids=ids, until=end)
    csat = mean_csat_by_account(tenant=tenant, account_ids=ids, since=csat_start, until=end)
    tickets = tickets_created_by_account(tenant=tenant, account_ids=ids, since=month_start, until=end)
    open_high = open_high_priority_by_account(tenant=tenant, account_ids=ids, at=end)
    breaches = sla_breaches_by_account(tenant=tenant, account_ids=ids, since=month_start, until=end)
    for account_id, inputs in result.items():
        seats = seats_of[account_id]
        inputs.values.update({
            "training_adoption": _ratio(trained.get(account_id, 0), seats),
            "nps": float(nps[account_id]) if account_id in nps else None,
            "csat": csat.get(account_id),
            "tickets_per_seat": _ratio(tickets.get(account_id, 0), seats),
            "open_high_priority_tickets": float(open_high.get(account_id, 0)),
            "sla_breaches": float(breaches.get(account_id, 0)),
        })
    return result
