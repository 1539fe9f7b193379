"""``/api/v1/accounts``: bulk upsert, cursor-paginated list with filters, detail (API.md)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import CustomerAccount
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/accounts/bulk"
LIST = "/api/v1/accounts"


def post_json(client, items, url: str = BULK):
    return client.post(url, data=json.dumps(items), content_type="application/json")


def account(external_id: str, **fields) -> dict:
    return {"external_id": external_id, "name": f"Name of {external_id}", **fields}


def accounts_of(world) -> dict[str, CustomerAccount]:
    with world.scope():
        return {a.external_id: a for a in CustomerAccount.objects.filter(tenant=world.tenant)}


# ------------------------------------------------------------------------------------------------ bulk


def test_same_batch_twice_creates_once_then_reports_duplicates(worlds):
    a, b = worlds
    batch = [
        account("new-1", domain="one.example.com", plan="enterprise", tier="Premium", arr="1500.50", seats=10,
                contract_start="2025-01-01", renewal_date="2026-01-01", lifecycle_stage="adoption",
                csm_email=a.csm.user.email),
        account("new-2"),
        account("new.with.dots"),
    ]
    first = post_json(a.api(), batch)
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 3, "duplicates": 0, "created": 3, "updated": 0, "rejected": []}
    stored = accounts_of(a)
    one = stored["new-1"]
    assert (one.name, one.domain, one.plan, one.tier) == ("Name of new-1", "one.example.com", "enterprise", "premium")
    assert one.arr == Decimal("1500.50") and one.seats == 10
    assert one.contract_start == dt.date(2025, 1, 1) and one.renewal_date == dt.date(2026, 1, 1)
    assert one.lifecycle_stage == "adoption" and one.owner_csm_id == a.csm.user_id
    stamps = {k: v.updated_at for k, v in stored.items()}

    second = post_json(a.api(), batch)
    assert second.json() == {"accepted": 0, "duplicates": 3, "created": 0, "updated": 0, "rejected": []}
    again = accounts_of(a)
    assert len(again) == len(stored) == 3 + len(a.accounts)
    assert {k: v.updated_at for k, v in again.items()} == stamps  # nothing rewritten
    assert "new-1" not in accounts_of(b)


def test_changed_item_updates_only_this_tenants_row(worlds):
    a, b = worlds
    response = post_json(a.api(), [account("acc-0", name="Renamed in A", seats=99), account("acc-1", name="Acme 1")])
    body = response.json()
    # acc-1 sends only what is stored already: a duplicate, not an update.
    assert (body["updated"], body["duplicates"], body["created"], body["accepted"]) == (1, 1, 0, 1)
    assert accounts_of(a)["acc-0"].name == "Renamed in A"
    assert accounts_of(a)["acc-0"].seats == 99
    assert accounts_of(b)["acc-0"].name == "Acme 0"  # the look-alike in tenant B is untouched
    assert accounts_of(b)["acc-0"].seats == 25


def test_partial_rejection_writes_valid_items_and_reports_invalid_by_index(world_a):
    a = world_a
    batch = [
        account("ok-1"),
        account("bad-seats", seats="abc"),
        account("ok-2", arr=12.5),
        {"external_id": "no-name"},
        account("bad-stage", lifecycle_stage="zombie"),
    ]
    body = post_json(a.api(), batch).json()
    assert (body["accepted"], body["created"]) == (2, 2)
    rejected = {r["index"]: {e["field"] for e in r["errors"]} for r in body["rejected"]}
    assert rejected == {1: {"seats"}, 3: {"name"}, 4: {"lifecycle_stage"}}
    stored = accounts_of(a)
    assert {"ok-1", "ok-2"} <= set(stored)
    assert not {"bad-seats", "no-name", "bad-stage"} & set(stored)
    assert stored["ok-2"].arr == Decimal("12.50")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"seats": "abc"}, "seats"),
        ({"seats": True}, "seats"),
        ({"seats": 2.5}, "seats"),
        ({"seats": -1}, "seats"),
        ({"seats": 2147483648}, "seats"),  # past int4: was a DataError, a 500 for the whole batch
        ({"seats": "99999999999999999999"}, "seats"),
        ({"arr": "1000000000000"}, "arr"),  # 13 integer digits: past numeric(14, 2)
        ({"arr": "1e400"}, "arr"),
        ({"arr": -1}, "arr"),
        ({"arr": "lots"}, "arr"),
        ({"contract_start": "2025-13-01"}, "contract_start"),
        ({"renewal_date": "next year"}, "renewal_date"),
        ({"contract_start": "2025-06-01", "renewal_date": "2025-01-01"}, "renewal_date"),
        ({"lifecycle_stage": "zombie"}, "lifecycle_stage"),
        ({"csm_email": "not-an-email"}, "csm_email"),
        ({"seat": 5}, "seat"),  # unknown field: a typo must not silently drop data
        ({"name": ""}, "name"),
        ({"external_id": "x" * 129}, "external_id"),
    ],
)
def test_wrong_values_are_rejected_naming_the_field(world_a, extra, field):
    body = post_json(world_a.api(), [{**account("acc-typed"), **extra}]).json()
    assert body["accepted"] == 0
    assert body["rejected"][0]["index"] == 0
    assert field in {e["field"] for e in body["rejected"][0]["errors"]}
    assert "acc-typed" not in accounts_of(world_a)


def test_out_of_range_numbers_are_rejected_per_item_and_the_rest_written(world_a):
    batch = [account("big-1", seats=2147483647, arr="999999999999.99"), account("too-many", seats=2147483648),
             account("big-2", seats=5), account("too-rich", arr=10**12)]
    response = post_json(world_a.api(), batch)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]} == {1: ["seats"], 3: ["arr"]}
    stored = accounts_of(world_a)
    assert stored["big-1"].seats == 2147483647 and stored["big-1"].arr == Decimal("999999999999.99")
    assert "too-many" not in stored and "big-2" in stored


def test_item_that_is_not_an_object_is_rejected(world_a):
    body = post_json(world_a.api(), ["acc-x", account("acc-y"), 5]).json()
    assert [r["index"] for r in body["rejected"]] == [0, 2]
    assert body["created"] == 1


def test_duplicate_external_id_within_a_batch_keeps_the_first(world_a):
    body = post_json(world_a.api(), [account("twin", name="First"), account("twin", name="Second")]).json()
    assert body["created"] == 1
    assert body["rejected"] == [{"index": 1, "errors": [
        {"field": "external_id", "message": "duplicate external_id in this batch (first at index 0)"}]}]
    assert accounts_of(world_a)["twin"].name == "First"


def test_csm_email_must_belong_to_a_csm_of_this_tenant(worlds):
    a, b = worlds
    batch = [
        account("own-csm", csm_email=a.csm.user.email.upper()),
        account("nobody", csm_email="ghost@example.com"),
        account("other-tenants-csm", csm_email=b.csm.user.email),  # a real CSM, but of tenant B
        account("viewer", csm_email=a.viewer.user.email),  # a member, but not one who can own accounts
    ]
    body = post_json(a.api(), batch).json()
    assert body["created"] == 1
    assert {r["index"]: r["errors"][0]["field"] for r in body["rejected"]} == {1: "csm_email", 2: "csm_email",
                                                                             3: "csm_email"}
    assert accounts_of(a)["own-csm"].owner_csm_id == a.csm.user_id


def test_ndjson_with_a_bad_line_processes_the_others(world_a):
    lines = [json.dumps(account("nd-1")), "{not json", "", json.dumps(account("nd-2", seats="x")),
             json.dumps(account("nd-3"))]
    response = world_a.api().post(BULK, data="\n".join(lines) + "\n", content_type="application/x-ndjson")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["accepted"]) == (2, 2)
    # Blank lines are not items: "nd-2" is item 2, "nd-3" item 3.
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert "not valid JSON" in body["rejected"][0]["errors"][0]["message"]
    assert body["rejected"][1]["errors"][0]["field"] == "seats"
    assert {"nd-1", "nd-3"} <= set(accounts_of(world_a))


# ------------------------------------------------------------------------------------------------ list


def walk(client, url: str, **params) -> list[dict]:
    """Follow ``next`` links to the end; fails on a loop."""
    rows: list[dict] = []
    response = client.get(url, params)
    for _ in range(1000):
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        if not body["next"]:
            return rows
        response = client.get(body["next"])
    pytest.fail("pagination never ended")


def test_cursor_pagination_walks_every_row_exactly_once_even_with_equal_timestamps(world_a):
    a = world_a
    post_json(a.api(), [account(f"page-{i:03}") for i in range(120)])
    # Many rows sharing one updated_at (a bulk write in one instant) is the hard case for cursors.
    with a.scope():
        shared = CustomerAccount.objects.filter(tenant=a.tenant, external_id__startswith="page-").first().updated_at
        CustomerAccount.objects.filter(tenant=a.tenant, external_id__regex=r"^page-\d*[02468]$").update(
            updated_at=shared)
        stamps = list(CustomerAccount.objects.filter(tenant=a.tenant).values_list("updated_at", flat=True))
    assert len(set(stamps)) < len(stamps) - 50

    rows = walk(a.api(), LIST, limit=7)
    ids = [r["external_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 123
    assert set(ids) == set(accounts_of(a))
    assert [r["updated_at"] for r in rows] == sorted(r["updated_at"] for r in rows)


def test_default_page_size_and_limit_bounds(world_a):
    a = world_a
    post_json(a.api(), [account(f"many-{i}") for i in range(600)])
    assert len(a.api().get(LIST).json()["results"]) == 100
    assert len(a.api().get(LIST, {"limit": 3}).json()["results"]) == 3
    assert len(a.api().get(LIST, {"limit": 10_000}).json()["results"]) == 500
    first = a.api().get(LIST, {"limit": 3}).json()
    assert first["previous"] is None and first["next"]


def test_list_serializes_every_contract_field(world_a):
    a = world_a
    rows = {r["external_id"]: r for r in a.api().get(LIST).json()["results"]}
    row = rows["acc-1"]
    assert set(row) == {"external_id", "name", "domain", "plan", "tier", "arr", "seats", "contract_start",
                        "renewal_date", "lifecycle_stage", "csm_email", "created_at", "updated_at"}
    assert row["arr"] == "12000.00"  # decimal as a string (documented)
    assert row["csm_email"] == a.csm.user.email
    assert row["renewal_date"] == "2027-01-01"
    assert row["tier"] == "premium"


def test_list_never_shows_other_tenants_rows(worlds):
    a, b = worlds
    with b.scope():
        CustomerAccount.objects.filter(tenant=b.tenant, external_id="acc-0").update(name="Bravo-only name")
        AccountFactory(tenant=b.tenant, external_id="only-in-b", name="Only in B")
    body = a.api().get(LIST, {"limit": 500}).content.decode()
    assert "Bravo-only name" not in body and "only-in-b" not in body
    rows = a.api().get(LIST).json()["results"]
    assert sorted(r["name"] for r in rows) == ["Acme 0", "Acme 1", "Acme 2"]
    assert a.api().get(LIST, {"q": "Only in B"}).json()["results"] == []
    assert b.api().get(LIST, {"q": "Bravo-only"}).json()["results"][0]["external_id"] == "acc-0"


def test_filters(worlds):
    a, _ = worlds
    with a.scope():
        AccountFactory(tenant=a.tenant, external_id="ext-churned", name="Globex", domain="globex.io",
                       lifecycle_stage="churned", tier="enterprise", renewal_date=dt.date(2025, 3, 1))
        AccountFactory(tenant=a.tenant, external_id="ext-renew", name="Initech", domain="initech.example",
                       lifecycle_stage="renewal", renewal_date=dt.date(2025, 6, 1), owner_csm=a.admin.user)

    def ids(**params) -> set[str]:
        response = a.api().get(LIST, params)
        assert response.status_code == 200, response.content
        return {r["external_id"] for r in response.json()["results"]}

    assert ids(lifecycle_stage="churned") == {"ext-churned"}
    assert ids(tier="PREMIUM") == {"acc-1"}
    assert ids(csm_email=a.admin.user.email.upper()) == {"ext-renew"}
    assert ids(q="globex") == {"ext-churned"}
    assert ids(q="ext-ren") == {"ext-renew"}
    assert ids(q="acme") == {"acc-0", "acc-1", "acc-2"}
    assert ids(renewal_before="2025-06-01") == {"ext-churned"}
    assert ids(renewal_after="2025-06-01", renewal_before="2026-01-01") == {"ext-renew"}
    assert ids(renewal_after="2026-06-01") == {"acc-0", "acc-1", "acc-2"}


def test_updated_since_takes_an_offset(world_a):
    a = world_a
    with a.scope():
        qs = CustomerAccount.objects.filter(tenant=a.tenant)
        qs.filter(external_id="acc-0").update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        qs.filter(external_id="acc-1").update(updated_at=dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC))
        qs.filter(external_id="acc-2").update(updated_at=timezone.now())

    def ids(value: str) -> set[str]:
        response = a.api().get(LIST, {"updated_since": value})
        assert response.status_code == 200, response.content
        return {r["external_id"] for r in response.json()["results"]}

    assert ids("2024-06-01T12:00:00+02:00") == {"acc-1", "acc-2"}  # 10:00 UTC, inclusive
    assert ids("2024-06-01T10:00:00.000001Z") == {"acc-2"}
    assert ids("2019-01-01T00:00:00-05:00") == {"acc-0", "acc-1", "acc-2"}
    # An unencoded "+" arrives as a space; it is read as the "+" the client meant.
    assert ids("2024-06-01T12:00:00 02:00") == {"acc-1", "acc-2"}


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00+00:00", "2024-06-01T10:00:00", "2024-06-01"])
def test_bad_updated_since_is_400_naming_the_field(world_a, value):
    response = world_a.api().get(LIST, {"updated_since": value})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["updated_since"]


@pytest.mark.parametrize(("param", "value"), [("lifecycle_stage", "zombie"), ("renewal_before", "soon"),
                                              ("limit", "abc"), ("limit", "0"), ("cursor", "garbage"),
                                              # a digit to str.isdigit, not to int(); past int()'s 4,300 digits
                                              ("limit", "\u00b2"), ("limit", "9" * 5000), ("limit", "-1")])
def test_bad_list_parameters_are_400_naming_them(world_a, param, value):
    response = world_a.api().get(LIST, {param: value})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [param]


def test_list_query_count_does_not_grow_with_rows(world_a):
    a = world_a
    client = a.api()
    client.get(LIST)  # the first call of a key stamps last_used_at; measure steady state

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, {"limit": 500})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    few_queries, few_rows = count()
    with a.scope():
        for i in range(40):
            AccountFactory(tenant=a.tenant, external_id=f"more-{i}", owner_csm=(a.csm if i % 2 else a.admin).user)
    many_queries, many_rows = count()
    assert (few_rows, many_rows) == (3, 43)
    assert many_queries == few_queries <= 3


# ---------------------------------------------------------------------------------------------- detail


def test_detail_by_external_id_with_dots(world_a):
    a = world_a
    post_json(a.api(), [account("crm.acct.42", name="Dotted Inc")])
    response = a.api().get("/api/v1/accounts/crm.acct.42")
    assert response.status_code == 200
    assert response.json()["name"] == "Dotted Inc"
    assert response.json()["csm_email"] is None


def test_detail_of_look_alike_returns_own_tenants_row(worlds):
    a, b = worlds
    with b.scope():
        CustomerAccount.objects.filter(tenant=b.tenant, external_id="acc-0").update(name="Bravo's acc-0")
    assert a.api().get("/api/v1/accounts/acc-0").json()["name"] == "Acme 0"
    assert b.api().get("/api/v1/accounts/acc-0").json()["name"] == "Bravo's acc-0"


def test_detail_of_other_tenants_account_is_404(worlds):
    a, b = worlds
    with b.scope():
        AccountFactory(tenant=b.tenant, external_id="b-secret", name="B secret")
    response = a.api().get("/api/v1/accounts/b-secret")
    assert response.status_code == 404
    assert "B secret" not in response.content.decode()
    assert response.json()["errors"][0]["message"]
    assert a.api().get("/api/v1/accounts/does-not-exist").json() == response.json()
