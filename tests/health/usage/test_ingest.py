"""``POST /api/v1/events/bulk``: validation, idempotency, rollups, contacts, isolation, limits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from accounts.tenancy import tenant_scope
from health.usage.models import UsageDaily, UsageEventKey
from health.usage.services import ingest
from health.usage.services.ingest import ingest_events
from health.usage.services.partitions import partition_name
from tests.factories import make_api_key
from tests.health.conftest import BULK_URL, event, merge, partition_exists, post_events, rollups, stored_events

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 15)


def test_valid_batch_is_stored_and_rolled_up(world_a):
    items = [event("e1"), event("e2"), event("e3", name="report.exported"),
             event("e4", contact=None, properties={"plan": "pro", "n": [1, 2]})]
    response = post_events(world_a, items)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 4, "duplicates": 0, "rejected": [], "contacts_created": 0}
    assert stored_events(world_a) == [("e1", "acc-0", "user-0", "report.viewed"),
                                      ("e2", "acc-0", "user-0", "report.viewed"),
                                      ("e3", "acc-0", "user-0", "report.exported"),
                                      ("e4", "acc-0", None, "report.viewed")]
    assert rollups(world_a) == {("acc-0", "user-0", DAY, "report.viewed"): 2,
                                ("acc-0", "user-0", DAY, "report.exported"): 1,
                                ("acc-0", None, DAY, "report.viewed"): 1}


def test_same_batch_twice_is_all_duplicates_and_rollups_do_not_move(world_a):
    items = [event(f"e{i}", contact=None if i % 3 == 0 else "user-0") for i in range(10)]
    assert post_events(world_a, items).json()["accepted"] == 10
    before = rollups(world_a)
    again = post_events(world_a, items).json()
    assert again == {"accepted": 0, "duplicates": 10, "rejected": [], "contacts_created": 0}
    assert rollups(world_a) == before
    assert len(stored_events(world_a)) == 10


def test_overlapping_batches_store_each_event_once(world_a):
    first = [event(f"e{i}") for i in range(0, 6)]
    second = [event(f"e{i}") for i in range(3, 9)]
    assert post_events(world_a, first).json()["accepted"] == 6
    assert post_events(world_a, second).json() | {"rejected": None} == {
        "accepted": 3, "duplicates": 3, "rejected": None, "contacts_created": 0}
    assert [e[0] for e in stored_events(world_a)] == sorted(f"e{i}" for i in range(9))
    assert rollups(world_a) == {("acc-0", "user-0", DAY, "report.viewed"): 9}


def test_repeat_within_a_batch_is_a_duplicate_not_an_error(world_a):
    body = post_events(world_a, [event("same"), event("same", name="other"), event("else")]).json()
    assert body == {"accepted": 2, "duplicates": 1, "rejected": [], "contacts_created": 0}
    assert [e[3] for e in stored_events(world_a)] == ["report.viewed", "report.viewed"]  # the first one stands


BAD_ITEMS = [
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": "2026-01-15T12:00:00"}, "occurred_at"),  # naive
    ({"occurred_at": "2026-01-15"}, "occurred_at"),  # a date is naive too
    ({"occurred_at": 1768478400}, "occurred_at"),  # epoch numbers are not ISO 8601
    ({"occurred_at": "1999-12-31T23:59:59Z"}, "occurred_at"),
    ({"occurred_at": "2200-01-01T00:00:00Z"}, "occurred_at"),
    ({"event_id": None}, "event_id"),
    ({"event_id": 17}, "event_id"),
    ({"event_id": "   "}, "event_id"),
    ({"event_id": "x" * 201}, "event_id"),
    ({"name": None}, "name"),
    ({"name": ["report"]}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "bad\x00name"}, "name"),
    ({"account": None}, "account"),
    ({"account": 3}, "account"),
    ({"account": "no-such-account"}, "account"),
    ({"contact": 5}, "contact"),
    ({"properties": [1, 2]}, "properties"),
    ({"properties": "{}"}, "properties"),
    ({"properties": {"a": "nul\x00"}}, "properties"),
    ({"color": "red"}, "color"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ITEMS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_ITEMS)])
def test_invalid_item_is_rejected_by_index_and_the_rest_written(world_a, change, field):
    bad = event("bad") | change
    body = post_events(world_a, [event("ok-1"), bad, event("ok-2")]).json()
    assert body["accepted"] == 2 and body["duplicates"] == 0
    assert [r["index"] for r in body["rejected"]] == [1]
    assert field in [e["field"] for e in body["rejected"][0]["errors"]], body
    assert [e[0] for e in stored_events(world_a)] == ["ok-1", "ok-2"]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9223372036854775808", "-9223372036854775809",
                                    "123456789012345678901234567890"])
def test_property_numbers_past_what_readers_handle_are_rejected_naming_properties(world_a, number):
    """1e400 decodes to inf, which jsonb refuses (the whole batch was a 500); past 64 bits, readers lose it."""
    items = [event("ok-1"), event("big", properties={"n": 0}), event("ok-2", properties={"n": 9223372036854775807,
                                                                                          "f": 1.5e308})]
    body_text = json.dumps(items).replace('{"n": 0}', f'{{"n": [{number}]}}')
    response = world_a.api().post(BULK_URL, data=body_text, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], [e["field"] for e in r["errors"]]) for r in body["rejected"]] == [(1, ["properties"])]
    assert [e[0] for e in stored_events(world_a)] == ["ok-1", "ok-2"]


def test_missing_fields_are_each_named(world_a):
    body = post_events(world_a, [{}, "not an object", None]).json()
    assert body["accepted"] == 0
    fields = [sorted(e["field"] for e in r["errors"]) for r in body["rejected"][:1]]
    assert fields == [["account", "event_id", "name", "occurred_at"]]
    assert [r["errors"][0]["message"] for r in body["rejected"][1:]] == ["each item must be a JSON object"] * 2


def test_offsets_are_stored_as_utc(world_a):
    post_events(world_a, [event("plus", occurred_at="2026-01-15T23:30:00+05:00")])
    with tenant_scope(world_a.tenant):
        from health.usage.models import UsageEvent

        assert UsageEvent.objects.get(event_id="plus").occurred_at == dt.datetime(2026, 1, 15, 18, 30, tzinfo=dt.UTC)


def test_body_must_be_an_array(world_a):
    response = world_a.api().post(BULK_URL, data=json.dumps({"event_id": "x"}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_more_than_1000_events_is_413(world_a):
    response = post_events(world_a, [event(f"e{i}") for i in range(1001)])
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert stored_events(world_a) == []


def test_exactly_1000_events_are_accepted(world_a):
    assert post_events(world_a, [event(f"e{i}") for i in range(1000)]).json()["accepted"] == 1000


def test_more_than_1_mb_is_413(world_a):
    items = [event(f"e{i}", properties={"pad": "x" * 2000}) for i in range(600)]
    for ndjson in (False, True):
        response = post_events(world_a, items, ndjson=ndjson)
        assert response.status_code == 413, response.content[:200]
    assert stored_events(world_a) == []


def test_ndjson_with_a_broken_line_keeps_the_indexes(world_a):
    body = "\n".join([json.dumps(event("n1")), "{not json", "", json.dumps(event("n2", occurred_at="x"))])
    body += "\n" + json.dumps(event("n3")) + "\n"
    response = world_a.api().post(BULK_URL, data=body, content_type="application/x-ndjson")
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == 2
    assert [(r["index"], r["errors"][0]["field"]) for r in answer["rejected"]] == [(1, None), (2, "occurred_at")]
    assert "not valid JSON" in answer["rejected"][0]["errors"][0]["message"]


def test_local_day_buckets_at_the_midnight_edge(world_a):
    # world_a's tenant is in America/Los_Angeles (UTC-8 in January): 07:59Z is still the 14th there.
    assert world_a.tenant.timezone == "America/Los_Angeles"
    post_events(world_a, [event("before", occurred_at="2026-01-15T07:59:00Z"),
                          event("after", occurred_at="2026-01-15T08:01:00Z"),
                          event("summer", occurred_at="2026-07-15T06:59:00Z"),  # UTC-7: the 14th
                          event("summer2", occurred_at="2026-07-15T07:00:00Z")])
    assert rollups(world_a) == {("acc-0", "user-0", dt.date(2026, 1, 14), "report.viewed"): 1,
                                ("acc-0", "user-0", dt.date(2026, 1, 15), "report.viewed"): 1,
                                ("acc-0", "user-0", dt.date(2026, 7, 14), "report.viewed"): 1,
                                ("acc-0", "user-0", dt.date(2026, 7, 15), "report.viewed"): 1}


def test_an_event_from_three_years_ago_gets_its_partition(world_a):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)
    name = partition_name(dt.date(old.year, old.month, 1))
    assert not partition_exists(name)
    body = post_events(world_a, [event("old", occurred_at=old.isoformat())]).json()
    assert body["accepted"] == 1, body
    assert partition_exists(name)
    with world_a.scope(), connection.cursor() as cursor:  # the new partition has row-level security too
        cursor.execute(f'SELECT event_id FROM "{name}"')  # noqa: S608
        assert cursor.fetchall() == [("old",)]
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT event_id FROM "{name}"')  # noqa: S608
        assert cursor.fetchall() == []


def test_unknown_contact_is_created_and_enrolled(world_a, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr("learning.services.enroll_new_contacts", lambda **kw: calls.append(kw) or 0)
    items = [event("c1", contact="new-1", occurred_at="2026-01-15T12:00:00Z"),
             event("c2", contact="new-1", occurred_at="2026-01-10T09:00:00Z"),
             event("c3", contact="new-2", account="acc-1", occurred_at="2026-01-12T00:00:00Z"),
             event("c4", contact="user-0")]
    with django_capture_on_commit_callbacks(execute=True):  # the hook runs once the batch commits
        body = post_events(world_a, items).json()
    assert body == {"accepted": 4, "duplicates": 0, "rejected": [], "contacts_created": 2}
    with tenant_scope(world_a.tenant):
        new = {c.external_id: c for c in Contact.objects.filter(external_id__in=["new-1", "new-2"])}
    assert new["new-1"].account.external_id == "acc-0" and new["new-2"].account.external_id == "acc-1"
    # Created with the batch's earliest event time as both seen times; the merge widens last_seen.
    assert new["new-1"].first_seen_at == new["new-1"].last_seen_at == dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    merge(world_a)
    new["new-1"].refresh_from_db()
    assert new["new-1"].first_seen_at == dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    assert new["new-1"].last_seen_at == dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    assert calls == [{"tenant": world_a.tenant, "contact_ids": sorted([new["new-1"].pk, new["new-2"].pk])}]
    # Known now: a second batch creates nothing and does not call the hook again.
    with django_capture_on_commit_callbacks(execute=True):
        assert post_events(world_a, [event("c5", contact="new-1")]).json()["contacts_created"] == 0
    assert len(calls) == 1


def test_onboarding_hook_exists_and_is_a_no_op(world_a):
    from learning.services import enroll_new_contacts

    assert enroll_new_contacts(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk]) == 0


def test_first_and_last_seen_widen_and_never_shrink(world_a):
    post_events(world_a, [event("s1", occurred_at="2026-01-15T12:00:00Z"),
                          event("s2", occurred_at="2026-01-16T12:00:00Z")])
    post_events(world_a, [event("s3", occurred_at="2026-01-15T18:00:00Z")])  # inside: changes nothing
    post_events(world_a, [event("s4", occurred_at="2026-01-02T00:00:00Z")])
    merge(world_a)
    contact = world_a.contacts[0]
    with tenant_scope(world_a.tenant):
        contact.refresh_from_db()
    assert contact.first_seen_at == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert contact.last_seen_at == dt.datetime(2026, 1, 16, 12, tzinfo=dt.UTC)


def test_contact_of_another_account_is_rejected(world_a):
    # user-1 belongs to acc-1; a new contact given two accounts in one batch keeps the first.
    body = post_events(world_a, [event("x1", contact="user-1", account="acc-0"),
                                 event("x2", contact="fresh", account="acc-0"),
                                 event("x3", contact="fresh", account="acc-2")]).json()
    assert body["accepted"] == 1 and body["contacts_created"] == 1
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [(0, "contact"), (2, "contact")]


def test_tenants_are_isolated(world_a, world_b):
    # Same external ids in both tenants; the same event_id is a different event in each.
    assert post_events(world_b, [event("shared"), event("b-only")]).json()["accepted"] == 2
    b_rollups = rollups(world_b)
    assert post_events(world_a, [event("shared"), event("a-only", contact="new-in-a")]).json()["accepted"] == 2
    assert rollups(world_b) == b_rollups
    assert [e[0] for e in stored_events(world_b)] == ["b-only", "shared"]
    assert [e[0] for e in stored_events(world_a)] == ["a-only", "shared"]
    with tenant_scope(world_b.tenant):
        assert not Contact.objects.filter(external_id="new-in-a").exists()
        assert UsageEventKey.objects.count() == 2
    # The rows written for A point at A's account and contact, not B's look-alikes.
    merge(world_a)
    with tenant_scope(world_a.tenant):
        assert set(UsageDaily.objects.values_list("account__tenant_id", flat=True)) == {world_a.tenant.pk}


def test_the_ingest_scope_is_required(world_a):
    _, read_write = make_api_key(world_a.tenant, scopes=("read", "write"), raw="csk_test_rw_only")
    response = post_events(world_a, [event("e1")], raw_key=read_write)
    assert response.status_code == 403
    assert "ingest" in response.json()["errors"][0]["message"]
    _, ingest_only = make_api_key(world_a.tenant, scopes=("ingest",), raw="csk_test_ingest_only")
    assert post_events(world_a, [event("e1")], raw_key=ingest_only).json()["accepted"] == 1


def test_no_key_is_401(world_a):
    from django.test import Client

    assert Client().post(BULK_URL, data="[]", content_type="application/json").status_code == 401


def _queries_for(world, items) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert post_events(world, items).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_batch(world_a):
    def batch(prefix: str, n: int) -> list[dict]:
        return [event(f"{prefix}{i}", account=f"acc-{i % 3}", contact=f"{prefix}-new-{i % 7}" if i % 2 else None,
                      occurred_at=f"2026-0{1 + i % 3}-1{i % 9}T12:00:00Z") for i in range(n)]

    _queries_for(world_a, batch("warm", 3))  # the months' partitions, the key's last_used_at
    small, large = _queries_for(world_a, batch("s", 10)), _queries_for(world_a, batch("l", 900))
    assert small == large
    assert large <= 12


def test_service_counts_match_the_api(world_a):
    with tenant_scope(world_a.tenant):
        result = ingest_events(tenant=world_a.tenant, items=[event("a"), event("a"), {"bad": 1}])
    assert result.as_dict() == {"accepted": 1, "duplicates": 1, "contacts_created": 0,
                                "rejected": [{"index": 2, "errors": result.rejected[0]["errors"]}]}


def test_last_seen_is_kept_to_its_grain_and_first_seen_is_exact(world_a):
    from accounts.services.contacts import LAST_SEEN_GRAIN

    contact = world_a.contacts[0]
    noon = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    post_events(world_a, [event("g1", occurred_at="2026-01-15T12:00:00Z")])
    merge(world_a)
    within = noon + LAST_SEEN_GRAIN - dt.timedelta(minutes=1)
    post_events(world_a, [event("g2", occurred_at=within.isoformat())])  # within the grain: not written
    merge(world_a)
    with tenant_scope(world_a.tenant):
        contact.refresh_from_db()
    assert (contact.first_seen_at, contact.last_seen_at) == (noon, noon)
    beyond = noon + LAST_SEEN_GRAIN + dt.timedelta(minutes=1)
    post_events(world_a, [event("g3", occurred_at=beyond.isoformat()),
                          event("g4", occurred_at="2026-01-15T11:59:00Z")])  # earlier by a minute: written
    merge(world_a)
    with tenant_scope(world_a.tenant):
        contact.refresh_from_db()
    assert contact.first_seen_at == noon - dt.timedelta(minutes=1)
    assert contact.last_seen_at == beyond


def test_rollups_go_with_their_contact_and_account_without_database_foreign_keys(world_a):
    # UsageDaily has no database FKs (health/usage/models.py): Django's collector must still cascade.
    post_events(world_a, [event("d1"), event("d2", contact="user-1", account="acc-1"), event("d3", contact=None)])
    merge(world_a)
    with tenant_scope(world_a.tenant):
        world_a.contacts[0].delete()
        assert set(UsageDaily.objects.values_list("contact__external_id", flat=True)) == {"user-1", None}
        world_a.contacts[1].account.delete()
        assert list(UsageDaily.objects.values_list("account__external_id", "contact__external_id")) == [
            ("acc-0", None)]


FAST_PATH_EXTRA = [
    {"event_id": " padded "}, {"occurred_at": " 2026-01-15T12:00:00Z "}, {"name": "café.viewed"},
    {"contact": "  "}, {"contact": None}, {"properties": None}, {"properties": {}},
    {"properties": {"nested": {"list": [1, 2.5, None, True, "x"]}, "n": 10**30}},
    {"properties": {1: "non-text key"}}, {"properties": {"s": "\ud800"}}, {"properties": {"s": "\\u0000"}},
    {"occurred_at": "2026-01-15T12:00:00+05:30"}, {"occurred_at": "2000-01-01T00:00:00Z"},
    {"occurred_at": "1999-12-31T23:59:59Z"}, {"event_id": "x" * 200}, {"account": "a" * 129},
]


@pytest.mark.parametrize("change", [c for c, _ in BAD_ITEMS] + FAST_PATH_EXTRA + [{}])
def test_fast_validation_never_accepts_what_full_validation_rejects(change):
    now = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    item = event("e1", properties={"plan": "pro", "seats": 3}) | change
    fast = ingest.fast_valid_item(7, item, now + ingest.FUTURE_SKEW)
    full, errors = ingest.validate_item(7, item, now)
    if errors:
        assert fast is None
    elif fast is not None:
        assert (fast.index, fast.event_id, fast.account, fast.contact, fast.name, fast.occurred_at) == (
            full.index, full.event_id, full.account, full.contact, full.name, full.occurred_at)
        assert json.loads(fast.properties) == json.loads(full.properties)


def test_fast_validation_takes_the_common_item():
    now = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    assert ingest.fast_valid_item(0, event("e1", properties={"a": 1}), now) is not None
    assert ingest.fast_valid_item(0, event("e1", contact=None), now) is not None


def test_external_ids_with_quotes_backslashes_and_accents_are_found(world_a):
    from tests.factories import AccountFactory, ContactFactory

    odd = 'acc "ünï\\côde" ,{}'
    with tenant_scope(world_a.tenant):
        account = AccountFactory(tenant=world_a.tenant, external_id=odd)
        ContactFactory(tenant=world_a.tenant, account=account, external_id='u "1"\\')
    body = post_events(world_a, [event("q1", account=odd, contact='u "1"\\'),
                                 event("q2", account=odd, contact="néw \"2\""),
                                 event("q3", account='acc "ünï\\côde" ,{', contact=None)]).json()
    assert body["accepted"] == 2 and body["contacts_created"] == 1, body
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [(2, "account")]
    assert {e[2] for e in stored_events(world_a)} == {'u "1"\\', 'néw "2"'}
