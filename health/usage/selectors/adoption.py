"""Adoption figures per account (METRICS.md "Adoption and health inputs"), read from the daily rollups: active
users, license utilization, breadth, depth, the seat funnel (with the learning app's trained-contacts hook),
value milestones and time to value, for one account or many in one query. The account usage tab's other
reads (weekly trend, features, milestones, contacts, the API body) are health.usage.selectors.account_usage.

Everything here is set-based SQL over the daily rollups joined to the catalog and the contacts. The
rollups are read through the view ``health_usage_rollups``: :class:`health.models.UsageDaily` plus the
ingested batches still staged for merging (:class:`health.models.UsagePending`, ``health/usage/services/rollups.py``),
so a batch counts as soon as it is committed, whether merged yet or not, and exactly once. A bucket may appear
more than once in the view (merged and staged parts), so every query only aggregates over it (SUM, MIN,
MAX, COUNT DISTINCT), never counts its rows. One query per figure family whatever the number of accounts
or contacts, so pages and the API stay at a constant number of queries. Pages and
``GET /api/v1/accounts/{id}/usage`` call the same functions, so they cannot disagree.

Conventions, applied everywhere below and in health.usage.selectors.account_usage:
- ``UsageDaily.day`` is already the tenant's local date, so a window is plain date arithmetic: the
  N local days ending ``today``, today included (``today - (N - 1) <= day <= today``). ``today``
  defaults to the tenant's local date; tests pass it explicitly.
- Everything is "as of today": rollup rows dated after ``today`` are ignored, also for "ever" figures.
- Counts of nothing are 0 (no active users is a real figure); ratios and averages over an empty set
  are ``None`` (METRICS.md: an empty set gives null, not 0).
- "Contacts of the account" is literal: a rollup row counts for a contact only when that contact
  belongs to the row's account (a contact moved to another account takes no old activity with it).
- Every query filters by the tenant explicitly, even though the scoped managers would too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from accounts.models import CustomerAccount, Tenant
from accounts.selectors import tenant_today

DEFAULT_WINDOW_DAYS = 30


MAX_WINDOW_DAYS = 366


FIXED_WINDOWS = (1, 7, 30)  # the DAU / WAU / MAU figures, always reported


FIRST_DAYS = 90


# Each figure's definition, shown next to it on the pages (title attribute and footnote). The first
# sentence quotes METRICS.md; what follows says how the platform applies it.
USAGE_DEFINITIONS: dict[str, str] = {
    "window": "A window of N days is the N local days (tenant time zone) ending today, today included; "
              "default 30.",
    "active_users": "Active users: contacts of the account with at least one usage event in the window.",
    "active_1d": "Active users (1 day): contacts of the account with at least one usage event today "
                 "(tenant time zone).",
    "active_7d": "Active users (7 days): contacts of the account with at least one usage event in the 7 local "
                 "days ending today, today included.",
    "active_30d": "Active users (30 days): contacts of the account with at least one usage event in the 30 "
                  "local days ending today, today included.",
    "license_utilization": "License utilization: active users / seats purchased (null when no seats are "
                           "recorded). Active users are counted over the window; blank also when seats are 0.",
    "breadth": "Breadth: distinct catalog features used in the window / features in the catalog. Blank when "
               "the catalog is empty; event names missing from the catalog count for no feature.",
    "depth": "Depth per active user: the account's usage events in the window / active users in the window "
             "(blank when nobody was active).",
    "events": "Usage events of the account in the window (sum of the daily rollup counts).",
    "seat_funnel": "Seat funnel: seats purchased -> contacts known -> activated (any event ever) -> trained -> "
                   "active.",
    "seats": "Seats purchased under the current contract (blank when not recorded).",
    "contacts_known": "Contacts known: contacts of this account in the platform, whatever their activity.",
    "activated": "Activated: contacts of the account with at least one usage event ever (up to today).",
    "trained": "Trained users: contacts of the account who completed at least one learning path (ever, up "
               "to now).",
    "active": "Active: contacts of the account with at least one usage event in the window.",
    "milestones": "Value milestones reached: catalog entries marked as value milestones that the account has "
                  "used at least once since its contract start (ever, when no contract start is recorded), "
                  "out of the tenant's value milestones.",
    "time_to_value": "Time to value: from contract start to the first time all of the tenant's value "
                     "milestones are reached. In days: the latest of the milestones' first days (each counted "
                     "since contract start) minus the contract start. Blank when not all are reached, when the "
                     "tenant has no value milestones, or when no contract start is recorded.",
    "weekly": "Weekly trend: weeks start on Monday in the tenant's time zone; the last 12 weeks, the current "
              "(partial) week included. Per week: active users (contacts of the account with at least one "
              "usage event that week) and usage events. The line marks the seats purchased.",
    "feature_breadth": "Per catalog feature: usage events of the account in the window; grey bars are features "
                       "not used in the window.",
    "last_seen": "Last seen: the last local day (tenant time zone) with a usage event of this contact, up to "
                 "today.",
    "contact_events": "Usage events of this contact in the window.",
    "features_used": "Distinct catalog features this contact used in the window.",
    "days_left": "Days left in the first 90 days, today included: 90 - (today - contract start).",
    "risk": "Risk order (riskiest first): churned accounts come after all others (already lost, not at "
            "risk); among the rest, lowest adoption pace first, where pace = license utilization "
            "(active users in the last 30 days / seats) divided by the share of the first 90 days elapsed "
            "((today - contract start + 1) / 90). Accounts without seats recorded have no pace and come last. "
            "Ties: fewer days left first, then fewer value milestones reached, then name.",
    "unknown_events": "Event names seen in the usage rollups that have no catalog entry: they count for no "
                      "feature (breadth) and no milestone until classified.",
}


def window_start(today: dt.date, days: int) -> dt.date:
    """First local day of the N-day window ending ``today`` (today included)."""
    return today - dt.timedelta(days=days - 1)


def _ratio(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# (tenant, account ids) -> {account id: trained contacts}. The learning issue registers the query that
# counts contacts who completed a learning path; until then no learning data exists and nothing runs.
TrainedContactsQuery = Callable[[Tenant, Sequence[int]], dict[int, int]]


_trained_contacts_query: TrainedContactsQuery | None = None


def register_trained_contacts_query(query: TrainedContactsQuery | None) -> None:
    """Hook for the learning app: the set-based query behind the funnel's "trained" stage."""
    global _trained_contacts_query
    _trained_contacts_query = query


def trained_contacts_count(*, tenant: Tenant, account_ids: Sequence[int]) -> dict[int, int]:
    """Trained users per account (METRICS.md: contacts who completed at least one learning path).

    The learning issue fills this by registering its query with :func:`register_trained_contacts_query`.
    Until then there is no learning data, so every account has 0 trained users (and no query runs).
    """
    counts = _trained_contacts_query(tenant, account_ids) if _trained_contacts_query else {}
    return {account_id: counts.get(account_id, 0) for account_id in account_ids}


@dataclass(frozen=True)
class SeatFunnel:
    seats: int | None
    contacts_known: int
    activated: int
    trained: int
    active: int

    def as_dict(self) -> dict[str, int | None]:
        return {"seats": self.seats, "contacts_known": self.contacts_known, "activated": self.activated,
                "trained": self.trained, "active": self.active}


@dataclass(frozen=True)
class AccountAdoption:
    """An account's adoption figures as of ``today`` over a window of ``window_days``."""

    account_id: int
    today: dt.date
    window_days: int
    seats: int | None
    contract_start: dt.date | None
    active_users: dict[int, int]  # fixed windows: {1: DAU, 7: WAU, 30: MAU}
    active_in_window: int
    events_in_window: int
    features_used: int
    features_in_catalog: int
    contacts_known: int
    activated: int
    trained: int
    milestones_total: int
    milestones_reached: int
    all_milestones_reached_on: dt.date | None

    @property
    def license_utilization(self) -> float | None:
        return _ratio(self.active_in_window, self.seats)

    @property
    def breadth(self) -> float | None:
        return _ratio(self.features_used, self.features_in_catalog)

    @property
    def depth(self) -> float | None:
        return _ratio(self.events_in_window, self.active_in_window)

    @property
    def funnel(self) -> SeatFunnel:
        return SeatFunnel(seats=self.seats, contacts_known=self.contacts_known, activated=self.activated,
                          trained=self.trained, active=self.active_in_window)

    @property
    def time_to_value_days(self) -> int | None:
        if (self.contract_start is None or self.milestones_total == 0
                or self.milestones_reached < self.milestones_total or self.all_milestones_reached_on is None):
            return None
        return (self.all_milestones_reached_on - self.contract_start).days

    # First-90-days figures (meaningful for accounts with a contract start).
    @property
    def days_elapsed(self) -> int | None:
        """Local days since contract start, the start day and today both counted (1 on the first day)."""
        return (self.today - self.contract_start).days + 1 if self.contract_start else None

    @property
    def days_left(self) -> int | None:
        return FIRST_DAYS - (self.today - self.contract_start).days if self.contract_start else None

    @property
    def utilization_30d(self) -> float | None:
        return _ratio(self.active_users[30], self.seats)

    @property
    def pace(self) -> float | None:
        """30-day license utilization relative to the share of the first 90 days elapsed."""
        if self.utilization_30d is None or not self.days_elapsed or self.days_elapsed < 1:
            return None
        return self.utilization_30d / (self.days_elapsed / FIRST_DAYS)


_ADOPTION_SQL = """
WITH acc AS (
    SELECT a.id, a.seats, a.contract_start
    FROM accounts_customeraccount a
    WHERE a.tenant_id = %(tenant)s
      AND (%(ids)s::bigint[] IS NULL OR a.id = ANY(%(ids)s::bigint[]))
      AND (%(started_from)s::date IS NULL OR a.contract_start >= %(started_from)s::date)
      AND (%(started_to)s::date IS NULL OR a.contract_start <= %(started_to)s::date)
),
usage AS (
    SELECT ud.account_id,
           COUNT(DISTINCT c.id) FILTER (WHERE ud.day >= %(d1)s) AS active_1d,
           COUNT(DISTINCT c.id) FILTER (WHERE ud.day >= %(d7)s) AS active_7d,
           COUNT(DISTINCT c.id) FILTER (WHERE ud.day >= %(d30)s) AS active_30d,
           COUNT(DISTINCT c.id) FILTER (WHERE ud.day >= %(dw)s) AS active_window,
           COALESCE(SUM(ud.count) FILTER (WHERE ud.day >= %(dw)s), 0) AS events_window,
           COUNT(DISTINCT ce.feature) FILTER (WHERE ud.day >= %(dw)s) AS features_used,
           COUNT(DISTINCT c.id) AS activated
    FROM health_usage_rollups ud
    JOIN acc ON acc.id = ud.account_id
    LEFT JOIN accounts_contact c
           ON c.id = ud.contact_id AND c.account_id = ud.account_id AND c.tenant_id = ud.tenant_id
    LEFT JOIN health_catalogentry ce ON ce.tenant_id = ud.tenant_id AND ce.event_name = ud.event_name
    WHERE ud.tenant_id = %(tenant)s AND ud.day <= %(today)s AND ud.count > 0
    GROUP BY ud.account_id
),
known AS (
    SELECT c.account_id, COUNT(*) AS contacts_known
    FROM accounts_contact c JOIN acc ON acc.id = c.account_id
    WHERE c.tenant_id = %(tenant)s
    GROUP BY c.account_id
),
milestone_first AS (
    SELECT ud.account_id, ce.id AS entry_id, MIN(ud.day) AS first_day
    FROM health_usage_rollups ud
    JOIN acc ON acc.id = ud.account_id
    JOIN health_catalogentry ce
      ON ce.tenant_id = ud.tenant_id AND ce.event_name = ud.event_name AND ce.is_value_milestone
    WHERE ud.tenant_id = %(tenant)s AND ud.day <= %(today)s AND ud.count > 0
      AND (acc.contract_start IS NULL OR ud.day >= acc.contract_start)
    GROUP BY ud.account_id, ce.id
),
milestones AS (
    SELECT account_id, COUNT(*) AS reached, MAX(first_day) AS all_reached_on
    FROM milestone_first GROUP BY account_id
),
catalog AS (
    SELECT COUNT(DISTINCT feature) AS features,
           COUNT(*) FILTER (WHERE is_value_milestone) AS milestones
    FROM health_catalogentry WHERE tenant_id = %(tenant)s
)
SELECT acc.id, acc.seats, acc.contract_start,
       COALESCE(u.active_1d, 0), COALESCE(u.active_7d, 0), COALESCE(u.active_30d, 0),
       COALESCE(u.active_window, 0), COALESCE(u.events_window, 0), COALESCE(u.features_used, 0),
       catalog.features, COALESCE(k.contacts_known, 0), COALESCE(u.activated, 0),
       catalog.milestones, COALESCE(m.reached, 0), m.all_reached_on
FROM acc
CROSS JOIN catalog
LEFT JOIN usage u ON u.account_id = acc.id
LEFT JOIN known k ON k.account_id = acc.id
LEFT JOIN milestones m ON m.account_id = acc.id
ORDER BY acc.id
"""


def _check_window(window_days: int) -> None:
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"window_days must be 1-{MAX_WINDOW_DAYS}, got {window_days}")


def adoption_by_account(
    *,
    tenant: Tenant,
    account_ids: Sequence[int] | None = None,
    contract_started_between: tuple[dt.date, dt.date] | None = None,
    today: dt.date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> dict[int, AccountAdoption]:
    """Adoption figures of many accounts in one query (plus the trained-users hook): by id, or all the
    tenant's accounts whose contract started within the given dates (both inclusive)."""
    _check_window(window_days)
    today = today or tenant_today(tenant)
    started_from, started_to = contract_started_between or (None, None)
    params = {
        "tenant": tenant.pk,
        "ids": list(account_ids) if account_ids is not None else None,
        "started_from": started_from,
        "started_to": started_to,
        "today": today,
        "d1": window_start(today, 1),
        "d7": window_start(today, 7),
        "d30": window_start(today, 30),
        "dw": window_start(today, window_days),
    }
    rows = _rows(_ADOPTION_SQL, params)
    trained = trained_contacts_count(tenant=tenant, account_ids=[r[0] for r in rows])
    result = {}
    for (account_id, seats, contract_start, a1, a7, a30, active, events, used, features, known, activated,
         milestones, reached, all_reached_on) in rows:
        result[account_id] = AccountAdoption(
            account_id=account_id, today=today, window_days=window_days, seats=seats,
            contract_start=contract_start, active_users={1: a1, 7: a7, 30: a30}, active_in_window=active,
            events_in_window=int(events), features_used=used, features_in_catalog=features,
            contacts_known=known, activated=activated, trained=trained[account_id], milestones_total=milestones,
            milestones_reached=reached, all_milestones_reached_on=all_reached_on,
        )
    return result


def account_adoption(
    *, account: CustomerAccount, today: dt.date | None = None, window_days: int = DEFAULT_WINDOW_DAYS
) -> AccountAdoption:
    return adoption_by_account(tenant=account.tenant, account_ids=[account.pk], today=today,
                               window_days=window_days)[account.pk]


_LAST_ACTIVE_SQL = """
SELECT r.account_id, MAX(r.day)
FROM health_usage_rollups r
WHERE r.tenant_id = %(tenant)s AND r.day <= %(today)s
  AND (%(ids)s::bigint[] IS NULL OR r.account_id = ANY(%(ids)s::bigint[]))
GROUP BY r.account_id
"""


def last_active_day_by_account(*, tenant: Tenant, today: dt.date,
                               account_ids: Sequence[int] | None = None) -> dict[int, dt.date]:
    """The last local day with a usage event of each account, up to ``today`` (rows after it ignored); an
    account with no event ever is absent. One query (the health alerts' "usage stops")."""
    params = {"tenant": tenant.pk, "today": today, "ids": list(account_ids) if account_ids is not None else None}
    return dict(_rows(_LAST_ACTIVE_SQL, params))
