"""``/api/v1/contacts``: bulk upsert, cursor-paginated list with filters, detail (API.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/contacts/bulk"
LIST = "/api/v1/contacts"


def post_json(client, items):
    return client.post(BULK, data=json.dumps(items), content_type="application/json")


def contact(external_id: str, account: str = "acc-0", **fields) -> dict:
    return {"external_id": external_id, "account": account, **fields}


def contacts_of(world) -> dict[str, Contact]:
    with world.scope():
        return {c.external_id: c for c in Contact.objects.filter(tenant=world.tenant).select_related("account")}


def test_same_batch_twice_creates_once_then_reports_duplicates(worlds):
    a, b = worlds
    batch = [
        contact("c-1", account="acc-1", email="Ana@Example.com", phone="+1 (555) 010-0000", name="Ana Lima",
                persona="admin", knowledge_level="expert"),
        contact("c-2", account="acc-2"),
    ]
    first = post_json(a.api(), batch)
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 2, "duplicates": 0, "created": 2, "updated": 0, "rejected": []}
    c1 = contacts_of(a)["c-1"]
    assert c1.account == a.accounts[1] and c1.tenant_id == a.tenant.pk
    assert (c1.email, c1.phone, c1.name, c1.persona, c1.knowledge_level) == (
        "ana@example.com", "+1 (555) 010-0000", "Ana Lima", "admin", "expert")

    second = post_json(a.api(), batch)
    assert second.json() == {"accepted": 0, "duplicates": 2, "created": 0, "updated": 0, "rejected": []}
    assert len(contacts_of(a)) == len(a.contacts) + 2
    assert "c-1" not in contacts_of(b)


def test_update_moves_contact_to_another_account(worlds):
    a, b = worlds
    body = post_json(a.api(), [contact("user-0", account="acc-2", name="Moved")]).json()
    assert (body["updated"], body["created"]) == (1, 0)
    assert contacts_of(a)["user-0"].account.external_id == "acc-2"
    assert contacts_of(b)["user-0"].name == "Person 0"  # the look-alike in B is untouched


def test_unknown_account_is_rejected_at_field_account(worlds):
    a, b = worlds
    with b.scope():
        AccountFactory(tenant=b.tenant, external_id="only-in-b")
    body = post_json(a.api(), [contact("c-ok"), contact("c-nowhere", account="no-such"),
                               contact("c-other-tenant", account="only-in-b")]).json()
    assert body["created"] == 1
    assert {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]} == {1: ["account"],
                                                                                       2: ["account"]}
    assert not {"c-nowhere", "c-other-tenant"} & (set(contacts_of(a)) | set(contacts_of(b)))


def test_email_already_used_by_another_contact_is_rejected(world_a):
    a = world_a
    taken = a.contacts[0].email
    batch = [
        contact("c-steal", email=taken.upper()),  # emails match case-insensitively
        contact("c-new", email="fresh@example.com"),
        contact("c-twin", email="fresh@example.com"),  # taken by the item before, in the same batch
        contact(a.contacts[0].external_id, email=taken, name="Same person"),  # its own email: fine
    ]
    body = post_json(a.api(), batch).json()
    rejected = {r["index"]: r["errors"] for r in body["rejected"]}
    assert set(rejected) == {0, 2}
    assert rejected[0][0]["field"] == "email" and a.contacts[0].external_id in rejected[0][0]["message"]
    assert rejected[2][0]["field"] == "email"
    assert (body["created"], body["updated"]) == (1, 1)
    assert contacts_of(a)["c-new"].email == "fresh@example.com"


def test_same_email_may_exist_in_another_tenant(worlds):
    a, b = worlds
    with b.scope():
        ContactFactory(tenant=b.tenant, account=b.accounts[0], external_id="b-person", email="pat@shared.example")
    body = post_json(a.api(), [contact("c-shared", email="pat@shared.example")]).json()
    assert body["created"] == 1, body
    assert contacts_of(b)["b-person"].email == "pat@shared.example"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"external_id": "c-x"}, "account"),
        (contact("c-x", email="not an email"), "email"),
        (contact("c-x", knowledge_level="guru"), "knowledge_level"),
        (contact("c-x", phone="call me"), "phone"),
        (contact("c-x", role="admin"), "role"),
        (contact("c-x", account=["acc-0"]), "account"),
    ],
)
def test_wrong_values_are_rejected_naming_the_field(world_a, item, field):
    body = post_json(world_a.api(), [item]).json()
    assert body["accepted"] == 0
    assert field in {e["field"] for e in body["rejected"][0]["errors"]}
    assert "c-x" not in contacts_of(world_a)


def test_ndjson_with_a_bad_line(world_a):
    data = "\n".join([json.dumps(contact("nd-1")), "[1, 2", json.dumps(contact("nd-2", account="nope"))])
    body = world_a.api().post(BULK, data=data, content_type="application/x-ndjson").json()
    assert body["created"] == 1
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [(1, None), (2, "account")]


# ------------------------------------------------------------------------------------------------ list


def walk(client, **params) -> list[dict]:
    rows: list[dict] = []
    response = client.get(LIST, params)
    for _ in range(500):
        assert response.status_code == 200, response.content
        rows.extend(response.json()["results"])
        if not response.json()["next"]:
            return rows
        response = client.get(response.json()["next"])
    pytest.fail("pagination never ended")


def test_cursor_pagination_walks_every_row_exactly_once(world_a):
    a = world_a
    post_json(a.api(), [contact(f"p-{i}", account=f"acc-{i % 3}") for i in range(45)])
    post_json(a.api(), [contact(f"p-{i}", account=f"acc-{i % 3}", persona="x") for i in range(0, 45, 3)])
    ids = [r["external_id"] for r in walk(a.api(), limit=4)]
    assert len(ids) == len(set(ids)) == 49
    assert set(ids) == set(contacts_of(a))


def test_list_serializes_every_contract_field_and_hides_other_tenant(worlds):
    a, b = worlds
    with b.scope():
        Contact.objects.filter(tenant=b.tenant, external_id="user-0").update(name="Bravo person")
    rows = {r["external_id"]: r for r in a.api().get(LIST).json()["results"]}
    assert set(rows) == {"user-0", "user-1", "user-2", "user-3"}
    assert set(rows["user-1"]) == {"external_id", "account", "email", "phone", "name", "persona",
                                   "knowledge_level", "language", "first_seen_at", "last_seen_at", "created_at",
                                   "updated_at"}
    assert rows["user-1"]["account"] == "acc-1"
    assert rows["user-0"]["name"] == "Person 0"
    assert "Bravo person" not in a.api().get(LIST, {"limit": 500}).content.decode()


def test_filters(world_a):
    a = world_a
    with a.scope():
        ContactFactory(tenant=a.tenant, account=a.accounts[2], external_id="zed", name="Zed Expert",
                       email="zed@initech.example", persona="admin", knowledge_level="expert",
                       phone="+44 20 7946 0000")
        Contact.objects.filter(tenant=a.tenant, external_id="user-1").update(
            updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    def ids(**params) -> set[str]:
        response = a.api().get(LIST, params)
        assert response.status_code == 200, response.content
        return {r["external_id"] for r in response.json()["results"]}

    assert ids(account="acc-2") == {"user-2", "zed"}
    assert ids(account="acc-0") == {"user-0", "user-3"}
    assert ids(account="nope") == set()
    assert ids(email="ZED@initech.example") == {"zed"}
    assert ids(persona="admin") == {"zed"}
    assert ids(knowledge_level="expert") == {"zed"}
    assert ids(q="7946") == {"zed"}
    assert ids(q="person 1") == {"user-1"}
    assert ids(updated_since="2021-01-01T00:00:00Z") == {"user-0", "user-2", "user-3", "zed"}


@pytest.mark.parametrize(("param", "value"), [("updated_since", "2021-01-01"), ("updated_since", "soon"),
                                              ("knowledge_level", "guru")])
def test_bad_filter_is_400_naming_the_field(world_a, param, value):
    response = world_a.api().get(LIST, {param: value})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [param]


def test_list_query_count_does_not_grow_with_rows(world_a):
    a = world_a
    client = a.api()
    client.get(LIST)  # stamps last_used_at once

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, {"limit": 500})
        return len(ctx.captured_queries), len(response.json()["results"])

    few = count()
    with a.scope():
        for i in range(30):
            ContactFactory(tenant=a.tenant, account=AccountFactory(tenant=a.tenant, external_id=f"qa-{i}"),
                           external_id=f"qc-{i}")
    many = count()
    assert (few[1], many[1]) == (4, 34)
    assert many[0] == few[0] <= 3


# ---------------------------------------------------------------------------------------------- detail


def test_detail(worlds):
    a, b = worlds
    with b.scope():
        Contact.objects.filter(tenant=b.tenant, external_id="user-2").update(name="Bravo two")
    response = a.api().get("/api/v1/contacts/user-2")
    assert response.status_code == 200
    assert response.json()["name"] == "Person 2" and response.json()["account"] == "acc-2"
    assert b.api().get("/api/v1/contacts/user-2").json()["name"] == "Bravo two"


def test_detail_of_other_tenants_contact_is_404(worlds):
    a, b = worlds
    with b.scope():
        ContactFactory(tenant=b.tenant, account=b.accounts[0], external_id="b.only", name="B only person")
    response = a.api().get("/api/v1/contacts/b.only")
    assert response.status_code == 404
    assert "B only" not in response.content.decode()
    assert b.api().get("/api/v1/contacts/b.only").status_code == 200
