"""compute() on a hand-computed fixture, and recompute(): upserted rows, idempotent, the scorecard picked per
account, queries bounded whatever the number of accounts, the advisory lock per chunk."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant_scope
from health.scores.compute import compute
from health.scores.definitions import clean_definition
from health.scores.inputs import AccountInputs
from health.scores.models import HealthScore
from health.scores.selectors import scorecards_in_order
from health.scores.services import RECOMPUTE_LOCK_CLASS, ScorecardData, recompute, save_scorecard
from health.usage.models import UsageDaily
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 12)
TWO_PARTS = {"components": [
    {"key": "license_utilization", "weight": 20, "mapping": {"kind": "ramp", "low": 0.2, "high": 0.8}},
    {"key": "nps", "weight": 10, "mapping": {"kind": "ramp", "low": 4, "high": 9}},
    {"key": "csat", "weight": 10, "mapping": {"kind": "ramp", "low": 2, "high": 4.5}},
    {"key": "category_usage_per_seat", "weight": 0.5, "category": "analytics",
     "mapping": {"kind": "thresholds", "steps": [[1, 100]], "otherwise": 0}},
], "bands": {"red": 0, "yellow": 40, "green": 70}}


def account_inputs(**values) -> AccountInputs:
    per_category = values.pop("per_category", {})
    return AccountInputs(account_id=1, day=D, lifecycle_stage="", tier="", values=values, per_category=per_category)


def test_compute_redistributes_the_weight_of_a_component_without_data():
    definition = clean_definition({**TWO_PARTS, "components": TWO_PARTS["components"][:3]})
    # utilization 0.5 -> 50 points, NPS 9 -> 100, CSAT none: (20 x 50 + 10 x 100) / 30.
    got = compute(account_inputs(license_utilization=0.5, nps=9.0, csat=None), definition)
    assert got.score == pytest.approx(200 / 3)
    assert got.band == "yellow"
    assert got.confidence == pytest.approx(30 / 40)
    assert got.components == [
        {"key": "license_utilization", "input": 0.5, "points": pytest.approx(50.0), "weight": 20.0,
         "effective_weight": pytest.approx(2 / 3)},
        {"key": "nps", "input": 9.0, "points": 100.0, "weight": 10.0, "effective_weight": pytest.approx(1 / 3)},
        {"key": "csat", "input": None, "points": None, "weight": 10.0, "effective_weight": 0.0},
    ]


def test_compute_reads_the_category_input_of_its_category_and_has_no_score_without_data():
    definition = clean_definition(TWO_PARTS)
    got = compute(account_inputs(per_category={"analytics": 1.5, "other": 0.0}), definition)
    assert got.components[3] == {"key": "category_usage_per_seat", "category": "analytics", "input": 1.5,
                                 "points": 100.0, "weight": 0.5, "effective_weight": 1.0}
    assert (got.score, got.band, got.confidence) == (100.0, "green", pytest.approx(0.5 / 40.5))
    nothing = compute(account_inputs(), definition)
    assert (nothing.score, nothing.band, nothing.confidence) == (None, "", 0.0)


def premium_scorecard(tenant):
    return save_scorecard(tenant=tenant, scorecard=None, by=None, data=ScorecardData(
        name="Premium", definition=TWO_PARTS, tiers=["premium"], priority=10))


def rows(tenant) -> dict[tuple, tuple]:
    with tenant_scope(tenant):
        return {(r.account_id, r.day): (r.pk, r.version_id, r.score, r.band, r.confidence, r.components)
                for r in HealthScore.objects.all()}


def test_recompute_upserts_one_row_per_account_and_day_with_the_scorecard_that_applies(world_a, world_b):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        premium = premium_scorecard(tenant)
        for contact in world_a.contacts:  # active on D: utilization = active / 25 seats
            UsageDaily.objects.create(tenant=tenant, account=contact.account, contact=contact, day=D,
                                      event_name="report.run", count=3)
        written = recompute(tenant=tenant, days=[D - dt.timedelta(days=1), D])
        default = next(c for c in scorecards_in_order(tenant=tenant) if c.is_default)
    assert written == 6
    got = rows(tenant)
    assert len(got) == 6
    by_tier = {a.pk: a.tier for a in world_a.accounts}
    for (account_id, _day), (_, version_id, *_rest) in got.items():
        expected = premium.current_version_id if by_tier[account_id] == "premium" else default.current_version_id
        assert version_id == expected
    # acc-1 (premium): 1 active of 25 seats -> 0 points (below 0.2); no analytics events over 25 seats is a
    # real 0 (0 points, weight 0.5); no NPS, no CSAT: left out. Score 0, red, confidence 20.5 / 40.5.
    acc1 = got[(world_a.accounts[1].pk, D)]
    assert (acc1[2], acc1[3], acc1[4]) == (0.0, "red", pytest.approx(20.5 / 40.5))
    assert acc1[5][0] == {"key": "license_utilization", "input": 1 / 25, "points": 0.0, "weight": 20.0,
                          "effective_weight": pytest.approx(20 / 20.5)}
    assert [c["input"] for c in acc1[5][1:]] == [None, None, 0.0]
    assert rows(world_b.tenant) == {}  # nothing written for another tenant


def test_recompute_twice_writes_the_same_rows_with_the_same_ids(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        premium_scorecard(tenant)
        recompute(tenant=tenant, days=[D])
    first = rows(tenant)
    with tenant_scope(tenant):
        assert recompute(tenant=tenant, days=[D]) == 3
    assert rows(tenant) == first


def test_recompute_of_some_accounts_writes_only_theirs(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        assert recompute(tenant=tenant, days=[D], account_ids=[world_a.accounts[2].pk]) == 1
    assert set(rows(tenant)) == {(world_a.accounts[2].pk, D)}


def _queries_of_recompute(world, n_accounts: int) -> int:
    tenant = world.tenant
    with tenant_scope(tenant):
        premium_scorecard(tenant)
        for i in range(n_accounts - len(world.accounts)):
            account = AccountFactory(tenant=tenant, external_id=f"more-{i}", tier="premium" if i % 2 else "")
            contact = ContactFactory(tenant=tenant, account=account, external_id=f"more-c{i}")
            UsageDaily.objects.create(tenant=tenant, account=account, contact=contact, day=D,
                                      event_name="report.run", count=1)
        with CaptureQueriesContext(connection) as queries:
            assert recompute(tenant=tenant, days=[D - dt.timedelta(days=1), D]) == 2 * n_accounts
    return len(queries)


@pytest.mark.parametrize("n_accounts", [3, 30])
def test_recompute_queries_do_not_grow_with_the_accounts(world_a, n_accounts):
    # Per chunk and day (2 days here): savepoint, lock, usage (with the categories), training, NPS, CSAT, tickets, open
    # high, breaches, the upsert, release (14 with the transaction's own); plus the default scorecard, the
    # scorecards and the account ids once.
    assert _queries_of_recompute(world_a, n_accounts) <= 2 * 14 + 5


def test_recompute_queries_for_3_and_30_accounts_are_the_same(world_a, world_b):
    assert _queries_of_recompute(world_a, 3) == _queries_of_recompute(world_b, 30)


def test_chunks_multiply_the_queries_not_the_accounts(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        recompute(tenant=tenant, days=[D])  # the first run creates the default scorecard: not counted below
        with CaptureQueriesContext(connection) as one_chunk:
            recompute(tenant=tenant, days=[D])
        with CaptureQueriesContext(connection) as three_chunks:
            recompute(tenant=tenant, days=[D], chunk=1)
    per_chunk = (len(three_chunks) - len(one_chunk)) / 2
    assert 0 < per_chunk <= 14
    assert len(rows(tenant)) == 3


def test_bad_chunk_is_refused(world_a):
    with tenant_scope(world_a.tenant), pytest.raises(ValueError, match="chunk"):
        recompute(tenant=world_a.tenant, days=[D], chunk=0)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_waits_for_the_tenant_lock_another_run_holds(world_a):
    """Another connection holds the recompute lock of the tenant: the chunk does not write until it is
    released (two runs at once never interleave a chunk)."""
    tenant = world_a.tenant
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RECOMPUTE_LOCK_CLASS, tenant.pk])
        done = []

        def run():
            try:
                with tenant_scope(tenant):
                    done.append(recompute(tenant=tenant, days=[D]))
            finally:
                connection.close()

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(1.0)
        assert done == []  # blocked on the lock
        with other.cursor() as cursor:
            cursor.execute("COMMIT")
        worker.join(timeout=30)
        assert done == [3]
    finally:
        other.close()
    assert len(rows(tenant)) == 3


def test_the_whole_tenant_path_writes_the_rows_the_chunks_of_ids_write(world_a, world_b):
    """recompute() of the whole tenant (the inputs read for the tenant) and of the same accounts by id, one day at
    a time or several days in one pass, write the same rows: the same ids, versions, scores, bands, components."""
    tenant = world_a.tenant
    with tenant_scope(tenant):
        premium_scorecard(tenant)
        for i, contact in enumerate(world_a.contacts):
            UsageDaily.objects.create(tenant=tenant, account=contact.account, contact=contact,
                                      day=D - dt.timedelta(days=i), event_name="report.run", count=3 + i)
        ids = [a.pk for a in world_a.accounts]
        for day in (D - dt.timedelta(days=1), D):  # one day at a time: the single-day path
            assert recompute(tenant=tenant, days=[day], account_ids=ids, chunk=1) == 3
        by_ids = rows(tenant)
        # Both days in one block (inputs_for_days), of the whole tenant and by id, 2 rows per write.
        assert recompute(tenant=tenant, days=[D - dt.timedelta(days=1), D], chunk=2) == 6
        assert rows(tenant) == by_ids
        assert recompute(tenant=tenant, days=[D - dt.timedelta(days=1), D], account_ids=ids, chunk=2) == 6
    assert rows(tenant) == by_ids
    assert len({r[2] for r in by_ids.values()}) > 1  # not all the same score: the comparison means something
    assert rows(world_b.tenant) == {}
