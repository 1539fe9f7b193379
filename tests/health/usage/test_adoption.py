"""Adoption metrics (METRICS.md "Adoption and health inputs") against hand-computed fixtures.

Rollups are written directly with known counts (ingestion has its own tests). "Today" is passed to the
selectors, never mocked. Tenant A is in America/Los_Angeles; ``UsageDaily.day`` is already a local day,
so the local-day edges are the window's first and last days.

The fixture, as of TODAY = Wednesday 2025-03-12, account "Usage Co" (10 seats, contract 2025-02-01):

    contact  day         event            count   in 1d / 7d / 30d
    c1       2025-03-12  report.run       5       yes / yes / yes   (today: last day of every window)
    c2       2025-03-06  report.run       2       no  / yes / yes   (today - 6: first day of 7d)
    c3       2025-03-05  dashboard.view   3       no  / no  / yes   (today - 7: just outside 7d)
    c1       2025-02-11  export.csv       1       no  / no  / yes   (today - 29: first day of 30d)
    c4       2025-02-10  report.run       4       no  / no  / no    (today - 30: just outside 30d)
    c2       2025-03-13  report.run       7       ignored: after today
    c5       (none)                                known, never active

Catalog: report.run -> Reporting (milestone), export.csv -> Reporting, dashboard.view -> Dashboards,
alerts.create -> Alerts (milestone): 3 features, 2 milestones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant_scope
from health.usage.models import CatalogEntry, UsageDaily
from health.usage.selectors import account_usage
from health.usage.selectors import adoption as selectors
from health.usage.selectors import catalog as catalog_selectors
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 12)  # a Wednesday
CONTRACT_START = dt.date(2025, 2, 1)
D = dt.date


def usage(account, contact, day: dt.date, event_name: str, count: int) -> UsageDaily:
    with tenant_scope(account.tenant):
        return UsageDaily.objects.create(tenant=account.tenant, account=account, contact=contact, day=day,
                                         event_name=event_name, count=count)


def catalog(tenant, entries: list[tuple[str, str, bool]]) -> list[CatalogEntry]:
    with tenant_scope(tenant):
        return [CatalogEntry.objects.create(tenant=tenant, event_name=name, feature=feature,
                                            is_value_milestone=milestone) for name, feature, milestone in entries]


STANDARD_CATALOG = [("report.run", "Reporting", True), ("export.csv", "Reporting", False),
                    ("dashboard.view", "Dashboards", False), ("alerts.create", "Alerts", True)]


def build_usage_world(world, *, name: str = "Usage Co", seats: int | None = 10,
                      contract_start: dt.date | None = CONTRACT_START, with_catalog: bool = True) -> dict:
    tenant = world.tenant
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, external_id=f"usage-{name.lower().replace(' ', '-')}", name=name,
                                 seats=seats, contract_start=contract_start)
        c = {i: ContactFactory(tenant=tenant, account=account, external_id=f"{account.external_id}-c{i}",
                               name=f"{name} person {i}") for i in range(1, 6)}
    usage(account, c[1], TODAY, "report.run", 5)
    usage(account, c[2], TODAY - dt.timedelta(days=6), "report.run", 2)
    usage(account, c[3], TODAY - dt.timedelta(days=7), "dashboard.view", 3)
    usage(account, c[1], TODAY - dt.timedelta(days=29), "export.csv", 1)
    usage(account, c[4], TODAY - dt.timedelta(days=30), "report.run", 4)
    usage(account, c[2], TODAY + dt.timedelta(days=1), "report.run", 7)
    if with_catalog:
        catalog(tenant, STANDARD_CATALOG)
    return {"account": account, "contacts": c}


@pytest.fixture
def fx(world_a) -> dict:
    return build_usage_world(world_a)


def adoption(account, **kwargs) -> selectors.AccountAdoption:
    with tenant_scope(account.tenant):
        return selectors.account_adoption(account=account, today=kwargs.pop("today", TODAY), **kwargs)


# --- active users, utilization, breadth, depth -------------------------------------------------------


def test_active_users_per_window_with_local_day_edges(fx):
    a = adoption(fx["account"])
    assert a.active_users == {1: 1, 7: 2, 30: 3}
    assert a.active_in_window == 3
    assert a.events_in_window == 5 + 2 + 3 + 1


def test_window_moves_with_today(fx):
    # One day later, c1's 2025-02-11 row falls out of 30d; c2's 2025-03-13 row enters 1d and 7d.
    a = adoption(fx["account"], today=TODAY + dt.timedelta(days=1))
    assert a.active_users == {1: 1, 7: 2, 30: 3}
    assert a.events_in_window == 5 + 2 + 3 + 7
    # One day earlier, c4's 2025-02-10 row is on the 30d window's first day, the future row still excluded.
    b = adoption(fx["account"], today=TODAY - dt.timedelta(days=1))
    assert b.active_users == {1: 0, 7: 2, 30: 4}


def test_custom_window(fx):
    a = adoption(fx["account"], window_days=7)
    assert (a.active_in_window, a.events_in_window, a.features_used) == (2, 7, 1)
    assert a.license_utilization == pytest.approx(0.2)
    assert a.breadth == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        adoption(fx["account"], window_days=0)


def test_license_utilization(fx):
    assert adoption(fx["account"]).license_utilization == pytest.approx(0.3)


@pytest.mark.parametrize("seats", [None, 0])
def test_license_utilization_is_null_without_seats(world_a, seats):
    account = build_usage_world(world_a, seats=seats)["account"]
    a = adoption(account)
    assert a.license_utilization is None
    assert a.funnel.seats == seats


def test_breadth_with_a_catalog(fx):
    a = adoption(fx["account"])
    # Reporting (report.run, export.csv) and Dashboards used; Alerts not: 2 of 3 distinct features.
    assert (a.features_used, a.features_in_catalog) == (2, 3)
    assert a.breadth == pytest.approx(2 / 3)


def test_breadth_is_null_with_an_empty_catalog(world_a):
    account = build_usage_world(world_a, with_catalog=False)["account"]
    a = adoption(account)
    assert a.features_in_catalog == 0
    assert a.breadth is None


def test_unknown_event_names_count_for_no_feature(fx):
    usage(fx["account"], fx["contacts"][5], TODAY, "mystery.click", 9)
    a = adoption(fx["account"])
    assert (a.features_used, a.features_in_catalog) == (2, 3)
    assert a.active_users[1] == 2  # still an active user: activity is any event, known or not


def test_depth_per_active_user(fx):
    assert adoption(fx["account"]).depth == pytest.approx(11 / 3)


def test_depth_is_null_when_nobody_was_active(world_a):
    with tenant_scope(world_a.tenant):
        account = AccountFactory(tenant=world_a.tenant, external_id="idle", seats=5)
    a = adoption(account)
    assert (a.active_in_window, a.events_in_window, a.depth) == (0, 0, None)
    assert a.license_utilization == 0.0  # 0 active of 5 seats is a real 0, not an empty set


def test_events_without_a_contact_count_as_events_not_users(fx):
    usage(fx["account"], None, TODAY, "report.run", 10)
    a = adoption(fx["account"])
    assert a.active_users[1] == 1
    assert a.events_in_window == 21
    assert a.depth == pytest.approx(21 / 3)


def test_only_contacts_of_the_account_are_its_users(fx, world_a):
    # A contact of another account whose events were rolled up under this one is not its user.
    other = world_a.contacts[0]
    usage(fx["account"], other, TODAY, "report.run", 1)
    a = adoption(fx["account"])
    assert a.active_users[1] == 1
    assert a.activated == 4


# --- funnel, milestones, time to value ------------------------------------------------------------


def test_seat_funnel(fx):
    funnel = adoption(fx["account"]).funnel
    assert funnel.as_dict() == {"seats": 10, "contacts_known": 5, "activated": 4, "trained": 0, "active": 3}


def test_trained_contacts_hook(fx):
    account = fx["account"]
    assert selectors.trained_contacts_count(tenant=account.tenant, account_ids=[account.pk]) == {account.pk: 0}
    registered = selectors._trained_contacts_query  # the learning app's (LearningConfig.ready): put back after
    selectors.register_trained_contacts_query(lambda tenant, ids: {account.pk: 2})
    try:
        assert adoption(account).funnel.trained == 2
    finally:
        selectors.register_trained_contacts_query(registered)
    assert adoption(account).funnel.trained == 0


def test_milestones_and_time_to_value(fx):
    account = fx["account"]
    a = adoption(account)
    # report.run first reached 2025-02-10 (since the 2025-02-01 contract start); alerts.create never.
    assert (a.milestones_reached, a.milestones_total) == (1, 2)
    assert a.time_to_value_days is None
    # alerts.create before the contract start does not count; on 2025-03-01 it does.
    usage(account, fx["contacts"][3], D(2025, 1, 20), "alerts.create", 1)
    assert adoption(account).milestones_reached == 1
    usage(account, fx["contacts"][3], D(2025, 3, 1), "alerts.create", 1)
    a = adoption(account)
    assert (a.milestones_reached, a.all_milestones_reached_on) == (2, D(2025, 3, 1))
    assert a.time_to_value_days == 28  # 2025-02-01 -> 2025-03-01
    with tenant_scope(account.tenant):
        reach = account_usage.milestone_reach(account=account, today=TODAY)
    assert [(m.event_name, m.first_reached_on) for m in reach] == [("alerts.create", D(2025, 3, 1)),
                                                                   ("report.run", D(2025, 2, 10))]
    # As of a day before the last milestone, not all were reached yet.
    assert adoption(account, today=D(2025, 2, 28)).time_to_value_days is None


def test_time_to_value_is_null_without_milestones_or_contract_start(world_a):
    account = build_usage_world(world_a, contract_start=None)["account"]
    usage(account, None, D(2025, 3, 1), "alerts.create", 1)
    a = adoption(account)
    assert (a.milestones_reached, a.milestones_total) == (2, 2)
    assert a.time_to_value_days is None  # no contract start recorded
    with tenant_scope(world_a.tenant):
        CatalogEntry.objects.filter(tenant=world_a.tenant).update(is_value_milestone=False)
    a = adoption(account)
    assert (a.milestones_reached, a.milestones_total, a.time_to_value_days) == (0, 0, None)


# --- weekly trend, features, contacts ---------------------------------------------------------------


def test_weekly_trend_in_monday_weeks(fx):
    account = fx["account"]
    usage(account, fx["contacts"][5], D(2025, 3, 9), "report.run", 6)  # a Sunday: still the week of 03-03
    with tenant_scope(account.tenant):
        weeks = account_usage.weekly_trend(account=account, today=TODAY)
    assert len(weeks) == 12
    assert weeks[0].week == D(2024, 12, 23) and weeks[-1].week == D(2025, 3, 10)
    assert all(w.week.weekday() == 0 for w in weeks)
    by_week = {w.week: (w.active_users, w.events) for w in weeks if w.events}
    assert by_week == {
        D(2025, 3, 10): (1, 5),       # c1 today; c2's 03-13 row is after today
        D(2025, 3, 3): (3, 2 + 3 + 6),  # c2 Thu, c3 Wed, c5 Sunday
        D(2025, 2, 10): (2, 1 + 4),   # c4 Monday 02-10, c1 Tuesday 02-11
    }


def test_feature_usage_lists_every_catalog_feature(fx):
    with tenant_scope(fx["account"].tenant):
        features = account_usage.feature_usage(account=fx["account"], today=TODAY)
    assert [(f.feature, f.events, f.used) for f in features] == [
        ("Alerts", 0, False), ("Dashboards", 3, True), ("Reporting", 5 + 2 + 1, True)]


def test_contact_usage_rows(fx):
    account = fx["account"]
    a = adoption(account)
    with tenant_scope(account.tenant):
        rows = account_usage.contact_usage(adoption=a, account=account)[0:10]
    got = [(r.name, r.last_seen, r.events, r.features) for r in rows]
    assert got == [
        ("Usage Co person 1", TODAY, 6, ["Reporting"]),
        ("Usage Co person 3", D(2025, 3, 5), 3, ["Dashboards"]),
        ("Usage Co person 2", D(2025, 3, 6), 2, ["Reporting"]),
        ("Usage Co person 4", D(2025, 2, 10), 0, []),
        ("Usage Co person 5", None, 0, []),
    ]
    with tenant_scope(account.tenant):
        assert [r.name for r in account_usage.contact_usage(adoption=a, account=account)[1:3]] == [
            "Usage Co person 3", "Usage Co person 2"]


# --- many accounts, isolation, query count -------------------------------------------------------------


def test_tenant_b_lookalike_rollups_are_never_counted_for_a(worlds):
    a, b = worlds
    fa = build_usage_world(a)
    fb = build_usage_world(b)  # same names, external ids, event names and days
    # B has more: a big day for every contact and an extra feature in its catalog.
    for contact in fb["contacts"].values():
        usage(fb["account"], contact, TODAY, "alerts.create", 100)
    catalog(b.tenant, [("b.only", "Bravo feature", True)])
    got = adoption(fa["account"])
    assert got.active_users == {1: 1, 7: 2, 30: 3}
    assert (got.events_in_window, got.features_in_catalog, got.milestones_total) == (11, 3, 2)
    assert got.funnel.as_dict() == {"seats": 10, "contacts_known": 5, "activated": 4, "trained": 0, "active": 3}
    with tenant_scope(a.tenant):
        assert selectors.adoption_by_account(tenant=a.tenant, account_ids=[fb["account"].pk], today=TODAY) == {}
        assert catalog_selectors.unknown_event_names(tenant=a.tenant) == []
        weeks = account_usage.weekly_trend(account=fa["account"], today=TODAY)
    assert weeks[-1].events == 5
    assert adoption(fb["account"]).active_users[1] == 5


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_adoption_of_many_accounts_is_two_queries(world_a):
    def run(n: int) -> int:
        with tenant_scope(world_a.tenant):
            accounts = [AccountFactory(tenant=world_a.tenant) for _ in range(n)]
            for acc in accounts:
                contact = ContactFactory(tenant=world_a.tenant, account=acc)
                usage(acc, contact, TODAY, "report.run", 1)
            ids = [acc.pk for acc in accounts]
            return _count_queries(lambda: selectors.adoption_by_account(tenant=world_a.tenant, account_ids=ids,
                                                                        today=TODAY))

    # The adoption figures, and the learning app's trained-contacts query (health.usage's hook).
    assert run(3) == run(30) == 2
