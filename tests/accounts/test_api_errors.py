"""The API's error rules (API.md): 401/403/404/405/400/413/415, always in the ``{"errors": [...]}`` shape."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CustomerAccount, Job
from cs_platform.api.parsers import MAX_BODY_BYTES
from cs_platform.bulk import MAX_BATCH
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

ACCOUNTS_BULK = "/api/v1/accounts/bulk"
CONTACTS_BULK = "/api/v1/contacts/bulk"
BULK_URLS = (ACCOUNTS_BULK, CONTACTS_BULK)
READ_URLS = ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/accounts/acc-0", "/api/v1/contacts/user-0")


def account_count(world) -> int:
    with world.scope():
        return CustomerAccount.objects.filter(tenant=world.tenant).count()


def error_fields(response) -> list[str | None]:
    body = response.json()
    assert set(body) == {"errors"} and body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"field", "message"} and error["message"]
    return [e["field"] for e in body["errors"]]


# ----------------------------------------------------------------------------------------- 401 and 403


@pytest.mark.parametrize("url", READ_URLS)
def test_no_key_is_401_with_www_authenticate(world_a, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    error_fields(response)


@pytest.mark.parametrize("header", ["Bearer csk_wrong", "Basic dXNlcjpwYXNz", "Bearer ", "csk_test_key_of_alpha"])
def test_bad_key_is_401(world_a, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/accounts")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    error_fields(response)


def test_revoked_key_is_401(world_a):
    a = world_a
    with a.scope():
        a.api_key.revoked_at = timezone.now()
        a.api_key.save(update_fields=["revoked_at"])
    assert a.api().get("/api/v1/accounts").status_code == 401
    assert a.api().post(ACCOUNTS_BULK, data="[]", content_type="application/json").status_code == 401


def test_a_logged_in_browser_session_is_not_an_api_credential(world_a):
    response = world_a.client_for(world_a.admin).get("/api/v1/accounts")
    assert response.status_code == 401


@pytest.mark.parametrize("url", BULK_URLS)
def test_read_only_key_cannot_write(world_a, url):
    a = world_a
    _, raw = make_api_key(a.tenant, scopes=("read",))
    before = account_count(a)
    response = a.api(raw).post(url, data=json.dumps([{"external_id": "x", "name": "X", "account": "acc-0"}]),
                               content_type="application/json")
    assert response.status_code == 403
    assert "write" in response.json()["errors"][0]["message"]
    assert account_count(a) == before
    assert a.api(raw).get("/api/v1/accounts").status_code == 200


def test_ingest_only_key_can_neither_read_nor_write_accounts(world_a):
    a = world_a
    _, raw = make_api_key(a.tenant, scopes=("ingest",))
    for url in READ_URLS:
        assert a.api(raw).get(url).status_code == 403, url
    assert a.api(raw).post(ACCOUNTS_BULK, data="[]", content_type="application/json").status_code == 403


def test_write_only_key_can_write(world_a):
    a = world_a
    _, raw = make_api_key(a.tenant, scopes=("write",))
    response = a.api(raw).post(ACCOUNTS_BULK, data=json.dumps([{"external_id": "w", "name": "W"}]),
                               content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 1


# ------------------------------------------------------------------------------------------------- 405


@pytest.mark.parametrize(("method", "url"), [
    ("put", "/api/v1/accounts"), ("delete", "/api/v1/accounts/acc-0"), ("patch", "/api/v1/contacts/user-0"),
    ("post", "/api/v1/contacts"), ("get", ACCOUNTS_BULK), ("put", CONTACTS_BULK), ("delete", "/api/v1/accounts/bulk"),
])
def test_wrong_method_is_405_and_changes_nothing(world_a, method, url):
    before = account_count(world_a)
    client = world_a.api()
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, data="[]", content_type="application/json")
    assert response.status_code == 405
    error_fields(response)
    assert account_count(world_a) == before


# ---------------------------------------------------------------------------------------- 400 for bodies


@pytest.mark.parametrize("url", BULK_URLS)
@pytest.mark.parametrize("body", ['[{"external_id": "a", "name": ', "{'single': 'quotes'}", "[NaN]", "\xff\xfe"])
def test_malformed_json_is_400_naming_body(world_a, url, body):
    response = world_a.api().post(url, data=body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


@pytest.mark.parametrize("url", BULK_URLS)
@pytest.mark.parametrize("body", ['{"external_id": "acc-9", "name": "Not in a list"}', '"text"', "42", "null", ""])
def test_body_that_is_not_an_array_is_400_naming_body(world_a, url, body):
    before = account_count(world_a)
    response = world_a.api().post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]
    assert account_count(world_a) == before


def test_ndjson_that_is_not_utf8_is_400_naming_body(world_a):
    response = world_a.api().post(ACCOUNTS_BULK, data=b'{"name": "\xff"}', content_type="application/x-ndjson")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


def test_empty_array_is_fine(world_a):
    response = world_a.api().post(ACCOUNTS_BULK, data="[]", content_type="application/json")
    assert response.json() == {"accepted": 0, "duplicates": 0, "created": 0, "updated": 0, "rejected": []}


def test_other_content_type_is_415(world_a):
    response = world_a.api().post(ACCOUNTS_BULK, data="external_id,name\nx,X\n", content_type="text/csv")
    assert response.status_code == 415
    error_fields(response)


# ------------------------------------------------------------------------------------------------- 413


def _items(n: int) -> list[dict]:
    return [{"external_id": f"big-{i}", "name": f"Big {i}"} for i in range(n)]


def test_exactly_max_batch_is_accepted(world_a):
    response = world_a.api().post(ACCOUNTS_BULK, data=json.dumps(_items(MAX_BATCH)), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["created"] == MAX_BATCH


@pytest.mark.parametrize("ndjson", [False, True])
def test_more_than_max_batch_items_is_413_and_writes_nothing(world_a, ndjson):
    items = _items(MAX_BATCH + 1)
    if ndjson:
        data, content_type = "\n".join(json.dumps(i) for i in items), "application/x-ndjson"
    else:
        data, content_type = json.dumps(items), "application/json"
    before = account_count(world_a)
    response = world_a.api().post(ACCOUNTS_BULK, data=data, content_type=content_type)
    assert response.status_code == 413
    assert error_fields(response) == ["body"]
    assert str(MAX_BATCH) in response.json()["errors"][0]["message"]
    assert account_count(world_a) == before


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_body_over_one_megabyte_is_413_and_writes_nothing(world_a, content_type):
    # Few items, one huge value: the byte limit must hold even when the item count is fine.
    items = [{"external_id": "huge", "name": "H", "domain": "x" * MAX_BODY_BYTES}]
    data = json.dumps(items) if content_type == "application/json" else json.dumps(items[0])
    assert len(data) > MAX_BODY_BYTES
    before = account_count(world_a)
    response = world_a.api().post(CONTACTS_BULK, data=data, content_type=content_type)
    assert response.status_code == 413
    assert error_fields(response) == ["body"]
    assert account_count(world_a) == before


def test_body_beyond_djangos_upload_limit_is_413_too(world_a, settings):
    # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) would answer an HTML 400; ours must come first.
    data = json.dumps([{"external_id": "huge", "name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}])
    response = world_a.api().post(ACCOUNTS_BULK, data=data, content_type="application/json")
    assert response.status_code == 413
    assert error_fields(response) == ["body"]


def test_body_just_under_one_megabyte_is_parsed(world_a):
    pad = MAX_BODY_BYTES - 200
    data = json.dumps([{"external_id": "padded", "name": "P", "domain": "x" * pad}])
    assert len(data) <= MAX_BODY_BYTES
    response = world_a.api().post(ACCOUNTS_BULK, data=data, content_type="application/json")
    # Parsed (not 413): the item itself is then rejected for its over-long domain, by field.
    assert response.status_code == 200
    assert response.json()["rejected"][0]["errors"][0]["field"] == "domain"


def test_declared_content_length_over_limit_is_refused_before_reading(world_a):
    response = world_a.api().generic("POST", ACCOUNTS_BULK, data=b"[]", content_type="application/json",
                                     CONTENT_LENGTH=str(MAX_BODY_BYTES + 1))
    assert response.status_code == 413


# ------------------------------------------------------------------------------------------------- 404


def test_unknown_and_other_tenants_objects_answer_the_same_404(worlds):
    a, b = worlds
    with b.scope():
        job = Job.objects.create(tenant=b.tenant, kind="import_accounts", total=10, done=5, result={"note": "b"})
    other = a.api().get(f"/api/v1/jobs/{job.pk}")
    missing = a.api().get(f"/api/v1/jobs/{job.pk + 1000}")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    error_fields(other)
    assert b.api().get(f"/api/v1/jobs/{job.pk}").status_code == 200


def test_job_detail(world_a):
    a = world_a
    with a.scope():
        job = Job.objects.create(tenant=a.tenant, kind="import_contacts", state=Job.State.RUNNING, total=8, done=2,
                                 input_text="secret,csv", result={"rows": 2})
    body = a.api().get(f"/api/v1/jobs/{job.pk}").json()
    assert {k: body[k] for k in ("id", "kind", "state", "total", "done", "percent", "result")} == {
        "id": job.pk, "kind": "import_contacts", "state": "running", "total": 8, "done": 2, "percent": 25,
        "result": {"rows": 2}}
    assert "input_text" not in body and body["created_at"] and body["updated_at"]


@pytest.mark.parametrize("url", ["/api/v1/accounts/a/b", "/api/v1/jobs/abc", "/api/v1/jobs/null,null",
                                 "/api/v1/no-such-route"])
def test_unknown_api_path_is_404_in_the_error_shape(world_a, url):
    # The fuzz found these answered with Django's HTML page: no route matched, so no API view ran.
    response = world_a.api().get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_fields(response) == ["path"]


def test_unknown_page_is_still_an_html_404(world_a):
    response = world_a.client_for().get("/t/alpha/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
