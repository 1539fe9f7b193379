"""Health score inputs as of a local day (health.scores.inputs) against hand-computed fixtures.

Tenant A is in America/Los_Angeles (PDT, UTC-7, on D = Thursday 2026-03-12). "Early" = 23:30 local on D
(counts for D), "late" = 00:10 local on D + 1 (does not): every family is checked on that edge.

Usage rollups of account "Inputs Co" (10 seats, contract 2026-02-01, renewal 2026-06-10):

    contact  day     event            count   window
    c1       D       report.run       5       30 days ending D   (report.run: Reporting, analytics, milestone)
    c2       D-29    export.csv       3       30 days ending D   (export.csv: Reporting, analytics)
    c3       D-30    report.run       4       the 30 days before
    c1       D-45    report.run       1       the 30 days before (and before the contract start)
    c4       D-59    dashboard.view   2       the 30 days before (dashboard.view: Dashboards, dash)
    c4       D-60    report.run       9       outside both
    c2       D+1     report.run       100     after D: ignored

Catalog: 3 features (Reporting, Dashboards, Alerts), 2 value milestones (report.run, alerts.create).
As of D: active 2 (c1, c2), before 3 (c3, c1, c4) -> trend 2/3; utilization 2/10; breadth 1/3; depth 8/2;
analytics per seat (5 + 3) / 10; milestones reached since the contract start 1 of 2 (day 39 of 90);
tenure 39 days; 90 days to renewal.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.tenancy import tenant_scope
from health.scores.inputs import inputs_as_of, inputs_for_days, tenant_inputs_as_of
from health.usage.models import CatalogEntry, UsageDaily
from health.usage.selectors.adoption import adoption_by_account
from learning.models import Enrollment
from learning.progress import complete_path
from learning.services import enroll
from support.models import SlaEvent
from support.records.data import StatusData, TicketData
from support.records.services.tickets import change_status, upsert_ticket
from surveys.services import record_responses
from tests.factories import AccountFactory, ContactFactory
from tests.health.conftest import event, merge, post_events
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 12)
LA = ZoneInfo("America/Los_Angeles")
EARLY = dt.datetime(2026, 3, 12, 23, 30, tzinfo=LA)  # the last half hour of D, local
LATE = dt.datetime(2026, 3, 13, 0, 10, tzinfo=LA)  # the first minutes of D + 1, local


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def local(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LA)


@pytest.fixture
def fx(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, external_id="inputs-co", name="Inputs Co", seats=10,
                                 contract_start=dt.date(2026, 2, 1), renewal_date=dt.date(2026, 6, 10))
        bare = AccountFactory(tenant=tenant, external_id="bare-co", name="Bare Co", seats=None,
                              contract_start=None, renewal_date=None)
        c = {i: ContactFactory(tenant=tenant, account=account, external_id=f"inputs-c{i}") for i in range(1, 5)}
        for name, feature, category, milestone in [
                ("report.run", "Reporting", "analytics", True), ("export.csv", "Reporting", "analytics", False),
                ("dashboard.view", "Dashboards", "dash", False), ("alerts.create", "Alerts", "", True)]:
            CatalogEntry.objects.create(tenant=tenant, event_name=name, feature=feature, category=category,
                                        is_value_milestone=milestone)
        for contact, day, name, count in [
                (1, D, "report.run", 5), (2, D - days(29), "export.csv", 3), (3, D - days(30), "report.run", 4),
                (1, D - days(45), "report.run", 1), (4, D - days(59), "dashboard.view", 2),
                (4, D - days(60), "report.run", 9), (2, D + days(1), "report.run", 100)]:
            UsageDaily.objects.create(tenant=tenant, account=account, contact=c[contact], day=day, event_name=name,
                                      count=count)
    return {"world": world_a, "account": account, "bare": bare, "contacts": c}


def inputs(fx, day=D, categories=("analytics",)):
    tenant = fx["world"].tenant
    with tenant_scope(tenant):
        return inputs_as_of(tenant=tenant, day=day, account_ids=[fx["account"].pk, fx["bare"].pk],
                            categories=categories)


def test_usage_inputs_as_of_d(fx):
    got = inputs(fx)[fx["account"].pk]
    assert got.values["active_users_trend"] == pytest.approx(2 / 3)
    assert got.values["license_utilization"] == pytest.approx(0.2)
    assert got.values["breadth"] == pytest.approx(1 / 3)
    assert got.values["depth"] == pytest.approx(4.0)
    assert got.per_category == {"analytics": pytest.approx(0.8)}
    assert got.values["onboarding_milestones"] == pytest.approx(0.5)
    assert got.values["tenure"] == 39
    assert got.values["days_to_renewal"] == 90
    assert (got.lifecycle_stage, got.tier) == (fx["account"].lifecycle_stage, "standard")


def test_usage_after_d_is_ignored_and_the_next_day_sees_it(fx):
    later = inputs(fx, day=D + days(1))[fx["account"].pk]
    # D+1: window [D-28, D+1]: c1 (5) and c2 (100); D-29 left the window -> events 105, features 1.
    assert later.values["depth"] == pytest.approx(105 / 2)
    assert later.per_category["analytics"] == pytest.approx(10.5)
    assert later.values["tenure"] == 40


def test_missing_data_is_none(fx):
    bare = inputs(fx)[fx["bare"].pk]
    for key in ("active_users_trend", "license_utilization", "depth", "training_adoption", "nps", "csat",
                "tickets_per_seat", "onboarding_milestones", "tenure", "days_to_renewal"):
        assert bare.values[key] is None, key
    assert bare.per_category == {"analytics": None}
    # Real zeros, not missing data: nothing used of a non-empty catalog, no tickets open, no breaches.
    assert bare.values["breadth"] == 0
    assert bare.values["open_high_priority_tickets"] == 0
    assert bare.values["sla_breaches"] == 0


def test_onboarding_has_no_data_after_the_first_90_days(fx):
    day_90 = dt.date(2026, 2, 1) + days(90)
    assert inputs(fx, day=day_90 - days(1))[fx["account"].pk].values["onboarding_milestones"] is not None
    assert inputs(fx, day=day_90)[fx["account"].pk].values["onboarding_milestones"] is None


def test_tenure_is_none_before_the_contract_start(fx):
    assert inputs(fx, day=dt.date(2026, 1, 31))[fx["account"].pk].values["tenure"] is None
    assert inputs(fx, day=dt.date(2026, 2, 1))[fx["account"].pk].values["tenure"] == 0


def test_ingested_events_count_by_the_tenant_local_day(world_a):
    tenant = world_a.tenant
    account = world_a.accounts[0]  # 25 seats; contacts user-0 and user-3
    response = post_events(world_a, [event("e-early", account="acc-0", contact="user-0",
                                           occurred_at=EARLY.isoformat()),
                                     event("e-late", account="acc-0", contact="user-3",
                                           occurred_at=LATE.isoformat())])
    assert response.status_code in (200, 201, 202), response.content
    merge(world_a)
    with tenant_scope(tenant):
        on_d = inputs_as_of(tenant=tenant, day=D, account_ids=[account.pk])[account.pk]
        next_day = inputs_as_of(tenant=tenant, day=D + days(1), account_ids=[account.pk])[account.pk]
    assert on_d.values["license_utilization"] == pytest.approx(1 / 25)
    assert next_day.values["license_utilization"] == pytest.approx(2 / 25)


def test_training_adoption_counts_completions_by_the_end_of_d(fx):
    tenant, c = fx["world"].tenant, fx["contacts"]
    with tenant_scope(tenant):
        path = published_path(tenant)
        enroll(tenant=tenant, contact_ids=[c[1].pk, c[2].pk, c[3].pk])
        for contact, at in [(1, EARLY), (2, LATE)]:
            complete_path(tenant=tenant, enrollment=Enrollment.objects.get(contact=c[contact], path=path),
                          completed_at=at)
    assert inputs(fx)[fx["account"].pk].values["training_adoption"] == pytest.approx(0.1)
    assert inputs(fx, day=D + days(1))[fx["account"].pk].values["training_adoption"] == pytest.approx(0.2)
    assert inputs(fx, day=D - days(1))[fx["account"].pk].values["training_adoption"] == 0


def test_latest_nps_and_90_day_csat_by_the_end_of_d(fx):
    tenant = fx["world"].tenant
    answers = [("nps", 1, 9, local(D - days(10))), ("nps", 2, 3, EARLY), ("nps", 3, 10, LATE),
               ("csat", 1, 5, local(D - days(89), 0, 5)),  # the first minutes of the 90-day window
               ("csat", 2, 2, EARLY), ("csat", 3, 1, local(D - days(90), 23, 50)),  # just before it
               ("csat", 4, 4, LATE)]
    with tenant_scope(tenant):
        result = record_responses(tenant=tenant, items=[
            {"survey": kind, "contact": f"inputs-c{contact}", "score": score, "submitted_at": at.isoformat()}
            for kind, contact, score, at in answers])
    assert not result.as_dict().get("rejected"), result.as_dict()
    got = inputs(fx)[fx["account"].pk].values
    assert got["nps"] == 3
    assert got["csat"] == pytest.approx(3.5)
    later = inputs(fx, day=D + days(1))[fx["account"].pk].values
    assert later["nps"] == 10
    assert later["csat"] == pytest.approx((2 + 4) / 2)  # the window of D+1 starts at D-88: D-89's answer left


def _ticket(tenant, external_id, contact, priority, created_at):
    return upsert_ticket(tenant=tenant, data=TicketData(
        external_id=external_id, account="inputs-co", contact=contact, channel="email", subject=external_id,
        priority=priority, created_at=created_at)).obj


def test_ticket_load_open_high_priority_and_breaches_as_of_d(fx):
    tenant = fx["world"].tenant
    with tenant_scope(tenant):
        t1 = _ticket(tenant, "t1", "inputs-c1", "high", local(D - days(5)))  # open
        t2 = _ticket(tenant, "t2", "inputs-c1", "urgent", local(D - days(3)))  # resolved just after D
        change_status(tenant=tenant, ticket=t2, data=StatusData(status="resolved", changed_at=LATE))
        t3 = _ticket(tenant, "t3", "inputs-c2", "high", local(D - days(10)))  # resolved on D
        change_status(tenant=tenant, ticket=t3, data=StatusData(status="resolved", changed_at=local(D)))
        _ticket(tenant, "t4", "inputs-c2", "normal", local(D - days(1)))  # open, not high
        _ticket(tenant, "t5", "inputs-c2", "high", LATE)  # after D
        _ticket(tenant, "t6", "inputs-c2", "low", local(D - days(30)))  # the day before the window
        for ticket, kind, due in [(t1, "breach", EARLY), (t1, "warning", local(D)), (t2, "breach", LATE),
                                  (t3, "breach", local(D - days(29), 0, 5))]:
            SlaEvent.objects.create(tenant=tenant, ticket=ticket, kind=kind, clock="resolution", due_at=due)
    got = inputs(fx)[fx["account"].pk].values
    assert got["tickets_per_seat"] == pytest.approx(4 / 10)  # t1, t2, t3, t4
    assert got["open_high_priority_tickets"] == 2  # t1, t2
    assert got["sla_breaches"] == 2  # t1 at 23:30 on D, t3 on the window's first day
    later = inputs(fx, day=D + days(1))[fx["account"].pk].values
    assert later["open_high_priority_tickets"] == 2  # t1, t5 (t2 resolved at 00:10)
    assert later["sla_breaches"] == 2  # t1, t2 (t3's day left the window)


def test_other_tenants_data_and_accounts_are_ignored(fx, world_b):
    with tenant_scope(world_b.tenant):
        other = AccountFactory(tenant=world_b.tenant, external_id="inputs-co", seats=10)
    tenant = fx["world"].tenant
    with tenant_scope(tenant):
        got = inputs_as_of(tenant=tenant, day=D, account_ids=[fx["account"].pk, other.pk])
    assert set(got) == {fx["account"].pk}


def test_usage_inputs_agree_with_the_usage_tab(fx):
    """The score reads the same figures the account's usage tab shows (health.usage.selectors.adoption)."""
    tenant, account = fx["world"].tenant, fx["account"]
    with tenant_scope(tenant):
        tab = adoption_by_account(tenant=tenant, account_ids=[account.pk], today=D)[account.pk]
    got = inputs(fx)[account.pk].values
    assert (got["license_utilization"], got["breadth"], got["depth"]) == (
        pytest.approx(tab.license_utilization), pytest.approx(tab.breadth), pytest.approx(tab.depth))


def test_the_whole_tenant_path_reads_the_same_inputs_as_the_id_list(fx, world_b):
    """tenant_inputs_as_of (the full recompute's statements over the tenant, no id list) gives every account
    of the tenant exactly what inputs_as_of gives it by id, on D and on the day after, every family with data;
    another tenant's accounts and data never appear."""
    tenant, c = fx["world"].tenant, fx["contacts"]
    with tenant_scope(world_b.tenant):
        other = AccountFactory(tenant=world_b.tenant, external_id="inputs-co", seats=10)
        UsageDaily.objects.create(tenant=world_b.tenant, account=other, day=D, event_name="report.run", count=7)
    with tenant_scope(tenant):
        published_path(tenant)
        enroll(tenant=tenant, contact_ids=[c[1].pk])
        complete_path(tenant=tenant, enrollment=Enrollment.objects.get(contact=c[1]), completed_at=EARLY)
        record_responses(tenant=tenant, items=[
            {"survey": "nps", "contact": "inputs-c2", "score": 6, "submitted_at": EARLY.isoformat()},
            {"survey": "csat", "contact": "inputs-c3", "score": 4, "submitted_at": LATE.isoformat()}])
        ticket = _ticket(tenant, "t1", "inputs-c1", "high", local(D - days(5)))
        SlaEvent.objects.create(tenant=tenant, ticket=ticket, kind="breach", clock="resolution", due_at=EARLY)
        every_id = [a.pk for a in fx["world"].accounts] + [fx["account"].pk, fx["bare"].pk]
        for day in (D, D + days(1)):
            by_ids = inputs_as_of(tenant=tenant, day=day, account_ids=every_id, categories=["analytics", "dash"])
            whole = tenant_inputs_as_of(tenant=tenant, day=day, categories=["analytics", "dash"])
            assert whole == by_ids
            assert other.pk not in whole
    got = whole[fx["account"].pk].values  # D + 1: the data above is there
    assert (got["training_adoption"], got["nps"], got["csat"], got["sla_breaches"]) == (0.1, 6.0, 4.0, 1.0)


def test_many_days_in_one_pass_read_what_each_day_reads(fx, world_b):
    """inputs_for_days (the backfill's one pass over the rollups) agrees with inputs_as_of on every day from
    before the oldest rollup row to after the newest: the 30-day windows' edges (D-29, D-30, D-59, D-60), the
    contract start (milestones counted from it, tenure), the row after D; by id and for the whole tenant."""
    tenant, account, bare = fx["world"].tenant, fx["account"], fx["bare"]
    with tenant_scope(world_b.tenant):
        other = AccountFactory(tenant=world_b.tenant, external_id="inputs-co", seats=10)
        UsageDaily.objects.create(tenant=world_b.tenant, account=other, day=D, event_name="report.run", count=7)
    every_day = [D - days(n) for n in range(-2, 100)]
    with tenant_scope(tenant):
        record_responses(tenant=tenant, items=[
            {"survey": "nps", "contact": "inputs-c2", "score": 6, "submitted_at": EARLY.isoformat()}])
        by_day = {day: inputs_as_of(tenant=tenant, day=day, account_ids=[account.pk, bare.pk],
                                    categories=["analytics", "dash"]) for day in every_day}
        in_one_pass = inputs_for_days(tenant=tenant, days=every_day, account_ids=[account.pk, bare.pk, other.pk],
                                      categories=["dash", "analytics"])
        whole_tenant = inputs_for_days(tenant=tenant, days=every_day[::7], categories=["analytics", "dash"])
    assert in_one_pass == by_day
    assert {day: got[account.pk] for day, got in whole_tenant.items()} == {
        day: by_day[day][account.pk] for day in every_day[::7]}
    assert in_one_pass[D][account.pk].values["active_users_trend"] == pytest.approx(2 / 3)  # not all empty
    assert inputs_for_days(tenant=tenant, days=[], account_ids=[account.pk]) == {}
