"""The account usage tab's detail reads (METRICS.md "Adoption and health inputs"), beside the account's
adoption figures (health.usage.selectors.adoption): the weekly trend, usage per catalog feature, the value
milestones with the day each was first reached, usage per contact (one query per page), and the body of
``GET /api/v1/accounts/{external_id}/usage``, which the usage page and the API build from the same figures.

Every read is one query over the view ``health_usage_rollups`` with the conventions of
health.usage.selectors.adoption (local-day windows ending today, "as of today", only aggregates over the
view, a contact's rows only within its account, the tenant filtered explicitly).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from accounts.models import CustomerAccount
from accounts.selectors import tenant_today
from health.usage.selectors.adoption import (
    DEFAULT_WINDOW_DAYS,
    FIXED_WINDOWS,
    AccountAdoption,
    _check_window,
    _rows,
    window_start,
)

WEEKLY_WEEKS = 12


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # Monday


@dataclass(frozen=True)
class WeekRow:
    week: dt.date  # the Monday
    active_users: int
    events: int


_WEEKLY_SQL = """
WITH weeks AS (
    SELECT generate_series(%(first_week)s::date, %(last_week)s::date, interval '7 days')::date AS week
)
SELECT w.week, COUNT(DISTINCT c.id), COALESCE(SUM(ud.count), 0)
FROM weeks w
LEFT JOIN health_usage_rollups ud
       ON ud.tenant_id = %(tenant)s AND ud.account_id = %(account)s AND ud.count > 0
      AND ud.day >= w.week AND ud.day < w.week + 7 AND ud.day <= %(today)s
LEFT JOIN accounts_contact c
       ON c.id = ud.contact_id AND c.account_id = ud.account_id AND c.tenant_id = ud.tenant_id
GROUP BY w.week
ORDER BY w.week
"""


def weekly_trend(*, account: CustomerAccount, today: dt.date | None = None, weeks: int = WEEKLY_WEEKS) -> list[WeekRow]:
    """Active users and events per Monday-based local week, the last ``weeks`` weeks (the current one
    included, up to today), oldest first; weeks without usage are present with zeros."""
    today = today or tenant_today(account.tenant)
    last_week = week_start(today)
    params = {"tenant": account.tenant_id, "account": account.pk, "today": today,
              "first_week": last_week - dt.timedelta(weeks=weeks - 1), "last_week": last_week}
    return [WeekRow(week=w, active_users=n, events=int(e)) for w, n, e in _rows(_WEEKLY_SQL, params)]


@dataclass(frozen=True)
class FeatureUse:
    feature: str
    category: str
    events: int

    @property
    def used(self) -> bool:
        return self.events > 0


_FEATURES_SQL = """
SELECT ce.feature, MIN(ce.category), COALESCE(SUM(ud.count), 0)
FROM health_catalogentry ce
LEFT JOIN health_usage_rollups ud
       ON ud.tenant_id = ce.tenant_id AND ud.event_name = ce.event_name AND ud.account_id = %(account)s
      AND ud.day BETWEEN %(dw)s AND %(today)s AND ud.count > 0
WHERE ce.tenant_id = %(tenant)s
GROUP BY ce.feature
ORDER BY ce.feature
"""


def feature_usage(
    *, account: CustomerAccount, today: dt.date | None = None, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[FeatureUse]:
    """Every catalog feature with the account's events in the window (0 when not used)."""
    _check_window(window_days)
    today = today or tenant_today(account.tenant)
    params = {"tenant": account.tenant_id, "account": account.pk, "today": today,
              "dw": window_start(today, window_days)}
    return [FeatureUse(feature=f, category=c or "", events=int(e)) for f, c, e in _rows(_FEATURES_SQL, params)]


@dataclass(frozen=True)
class MilestoneReach:
    event_name: str
    feature: str
    first_reached_on: dt.date | None


_MILESTONES_SQL = """
SELECT ce.event_name, ce.feature, MIN(ud.day)
FROM health_catalogentry ce
LEFT JOIN health_usage_rollups ud
       ON ud.tenant_id = ce.tenant_id AND ud.event_name = ce.event_name AND ud.account_id = %(account)s
      AND ud.day <= %(today)s AND ud.count > 0
      AND (%(since)s::date IS NULL OR ud.day >= %(since)s::date)
WHERE ce.tenant_id = %(tenant)s AND ce.is_value_milestone
GROUP BY ce.id, ce.event_name, ce.feature
ORDER BY ce.feature, ce.event_name
"""


def milestone_reach(*, account: CustomerAccount, today: dt.date | None = None) -> list[MilestoneReach]:
    """The tenant's value milestones with the first day this account reached each (since contract start)."""
    today = today or tenant_today(account.tenant)
    params = {"tenant": account.tenant_id, "account": account.pk, "today": today, "since": account.contract_start}
    return [MilestoneReach(event_name=n, feature=f, first_reached_on=d) for n, f, d in _rows(_MILESTONES_SQL, params)]


@dataclass(frozen=True)
class ContactUsage:
    contact_id: int
    name: str
    email: str
    external_id: str
    last_seen: dt.date | None
    events: int
    features: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.email or self.external_id


_CONTACTS_SQL = """
SELECT c.id, c.name, c.email, c.external_id, u.last_seen, COALESCE(u.events, 0), COALESCE(f.features, '{}')
FROM accounts_contact c
LEFT JOIN LATERAL (
    SELECT MAX(ud.day) AS last_seen, SUM(ud.count) FILTER (WHERE ud.day >= %(dw)s) AS events
    FROM health_usage_rollups ud
    WHERE ud.tenant_id = c.tenant_id AND ud.contact_id = c.id AND ud.account_id = c.account_id
      AND ud.day <= %(today)s AND ud.count > 0
) u ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT ce.feature ORDER BY ce.feature) AS features
    FROM health_usage_rollups ud
    JOIN health_catalogentry ce ON ce.tenant_id = ud.tenant_id AND ce.event_name = ud.event_name
    WHERE ud.tenant_id = c.tenant_id AND ud.contact_id = c.id AND ud.account_id = c.account_id
      AND ud.day BETWEEN %(dw)s AND %(today)s AND ud.count > 0
) f ON true
WHERE c.tenant_id = %(tenant)s AND c.account_id = %(account)s
ORDER BY COALESCE(u.events, 0) DESC, u.last_seen DESC NULLS LAST, c.name, c.id
LIMIT %(limit)s OFFSET %(offset)s
"""


class ContactUsageRows:
    """The account's contacts with their usage, sliceable for ``Paginator``: each page is one query
    (LIMIT/OFFSET), and the total is the already known contact count, so paging costs no COUNT."""

    def __init__(self, *, account: CustomerAccount, total: int, today: dt.date, window_days: int) -> None:
        _check_window(window_days)
        self.account = account
        self.total = total
        self.params = {"tenant": account.tenant_id, "account": account.pk, "today": today,
                       "dw": window_start(today, window_days)}

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[ContactUsage]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("ContactUsageRows supports plain slices only")
        start = index.start or 0
        stop = self.total if index.stop is None else index.stop
        if stop <= start:
            return []
        rows = _rows(_CONTACTS_SQL, {**self.params, "limit": max(stop - start, 0), "offset": start})
        return [ContactUsage(contact_id=i, name=n, email=e, external_id=x, last_seen=s, events=int(ev),
                             features=list(fs)) for i, n, e, x, s, ev, fs in rows]


def contact_usage(*, adoption: AccountAdoption, account: CustomerAccount) -> ContactUsageRows:
    """Per contact: last seen, events and features used in the adoption's window (most active first)."""
    return ContactUsageRows(account=account, total=adoption.contacts_known, today=adoption.today,
                            window_days=adoption.window_days)


def usage_payload(*, adoption: AccountAdoption, weekly: list[WeekRow]) -> dict[str, Any]:
    """The body of ``GET /api/v1/accounts/{external_id}/usage`` (API.md), built from the page's figures."""
    return {
        "seats": adoption.seats,
        "active_users": {f"{days}d": adoption.active_users[days] for days in FIXED_WINDOWS},
        "license_utilization": adoption.license_utilization,
        "breadth": adoption.breadth,
        "seat_funnel": adoption.funnel.as_dict(),
        "weekly": [{"week": w.week.isoformat(), "active_users": w.active_users, "events": w.events} for w in weekly],
        # Additions beyond API.md's example (API.md: extend freely).
        "as_of": adoption.today.isoformat(),
        "window_days": adoption.window_days,
        "active_users_in_window": adoption.active_in_window,
        "events": adoption.events_in_window,
        "depth": adoption.depth,
        "milestones": {"reached": adoption.milestones_reached, "total": adoption.milestones_total},
        "time_to_value_days": adoption.time_to_value_days,
    }
