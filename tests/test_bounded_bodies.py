"""Bounded input (issue 10): nesting depth, chunked and oversized bodies, NUL bytes, crafted cursors and
external ids that could never be addressed. Every refusal is a 4xx naming the input, never a 500."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Contact, CustomerAccount
from cs_platform.api.parsers import MAX_BODY_BYTES, MAX_DEPTH
from tests.accounts.test_api_errors import error_fields

pytestmark = pytest.mark.django_db

POST_URLS = ("/api/v1/accounts/bulk", "/api/v1/contacts/bulk", "/api/v1/events/bulk", "/api/v1/agents/bulk",
             "/api/v1/agent-sessions/bulk", "/api/v1/tickets", "/api/v1/callbacks", "/api/v1/support-costs")
BULK_URLS = POST_URLS[:5]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def account_ids(world) -> set[str]:
    with world.scope():
        return set(CustomerAccount.objects.filter(tenant=world.tenant).values_list("external_id", flat=True))


# --------------------------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("url", POST_URLS)
@pytest.mark.parametrize("depth", [5000, 1025, MAX_DEPTH + 1])
def test_deeply_nested_json_is_400_naming_body(world_a, url, depth):
    response = world_a.api().post(url, nested(depth), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert error_fields(response) == ["body"]
    assert "nested" in response.json()["errors"][0]["message"]


def deep_event(event_id: str, levels: int) -> dict:
    properties: dict = {}
    for _ in range(levels - 1):
        properties = {"x": properties}
    return {"event_id": event_id, "account": "acc-0", "name": "x", "occurred_at": "2025-03-01T00:00:00Z",
            "properties": properties}


def test_nesting_up_to_the_limit_parses_alike_in_json_and_ndjson(world_a):
    # body array > item > properties (MAX_DEPTH - 2 levels): exactly MAX_DEPTH; one more is refused.
    fits, too_deep = deep_event("e-fits", MAX_DEPTH - 2), deep_event("e-deep", MAX_DEPTH - 1)
    response = world_a.api().post("/api/v1/events/bulk", json.dumps([fits]), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    response = world_a.api().post("/api/v1/events/bulk", json.dumps([too_deep]), content_type="application/json")
    assert response.status_code == 400
    body = json.dumps(dict(fits, event_id="e-fits-2")) + "\n" + json.dumps(too_deep) + "\n"
    response = world_a.api().post("/api/v1/events/bulk", body, content_type="application/x-ndjson")
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1]


@pytest.mark.parametrize("suffix", ["interactions", "status"])
def test_deeply_nested_json_to_a_ticket_is_400_naming_body(world_a, suffix):
    created = world_a.api().post("/api/v1/tickets", {"external_id": "t-1", "contact": "user-0", "channel": "email"},
                                 content_type="application/json")
    assert created.status_code == 201, created.content
    response = world_a.api().post(f"/api/v1/tickets/t-1/{suffix}", nested(5000), content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


def test_deep_json_with_long_integers_takes_the_standard_library_and_is_still_400(world_a):
    body = "[" * 5000 + "1" * 25 + "]" * 5000
    response = world_a.api().post("/api/v1/accounts/bulk", body, content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


@pytest.mark.parametrize("url", BULK_URLS)
def test_deeply_nested_ndjson_line_is_rejected_by_its_index(world_a, url):
    body = '{"external_id": "x"}\n' + nested(5000) + "\n" + nested(MAX_DEPTH + 1) + "\n"
    response = world_a.api().post(url, body, content_type="application/x-ndjson")
    assert response.status_code == 200, response.content[:300]
    rejected = {r["index"]: r["errors"] for r in response.json()["rejected"]}
    for index in (1, 2):
        assert "nested" in rejected[index][0]["message"], rejected


# --------------------------------------------------------------------------------- chunked and oversize


def chunked_post(client, url: str, body: bytes, **extra):
    # The test client always sets Content-Length (and, for an empty body, no Content-Type); a chunked
    # request has none.
    return client.generic("POST", url, body, CONTENT_TYPE="application/json", CONTENT_LENGTH="",
                          HTTP_TRANSFER_ENCODING="chunked", **extra)


@pytest.mark.parametrize("url", POST_URLS)
def test_chunked_body_the_server_cannot_read_is_411(world_a, url):
    response = chunked_post(world_a.api(), url, b'[{"external_id": "new", "name": "New"}]')
    assert response.status_code == 411
    assert error_fields(response) == ["body"]


def test_chunked_body_of_a_terminated_input_is_read(world_a):
    body = b'[{"external_id": "chunked-1", "name": "Chunked"}]'
    response = chunked_post(world_a.api(), "/api/v1/accounts/bulk", b"", **{
        "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    assert "chunked-1" in account_ids(world_a)


def test_chunked_body_over_the_limit_is_413(world_a):
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    response = chunked_post(world_a.api(), "/api/v1/accounts/bulk", b"", **{
        "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    assert response.status_code == 413
    assert error_fields(response) == ["body"]


@pytest.mark.parametrize("url", POST_URLS)
def test_oversized_body_is_413_in_the_api_shape(world_a, url):
    body = '{"note": "' + "x" * MAX_BODY_BYTES + '"}'
    response = world_a.api().post(url, body, content_type="application/json")
    assert response.status_code == 413
    assert error_fields(response) == ["body"]


def test_malformed_content_length_is_400(world_a):
    response = world_a.api().generic("POST", "/api/v1/accounts/bulk", b"[]", content_type="application/json",
                                     CONTENT_LENGTH="12abc")
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


# ------------------------------------------------------------------------------------------ NUL bytes


@pytest.mark.parametrize("url", ["/api/v1/accounts/a%00b", "/api/v1/contacts/a%00b", "/api/v1/tickets/a%00b",
                                 "/api/v1/accounts/a%00b/usage"])
def test_nul_in_an_api_path_is_400_naming_path(world_a, url):
    response = world_a.api().get(url)
    assert response.status_code == 400
    assert error_fields(response) == ["path"]


@pytest.mark.parametrize("url, field", [
    ("/api/v1/accounts?q=a%00b", "q"), ("/api/v1/contacts?q=%00", "q"), ("/api/v1/contacts?account=a%00", "account"),
    ("/api/v1/tickets?contact=%00", "contact"), ("/api/v1/accounts?tier=x%00", "tier"),
    ("/api/v1/accounts?cursor=%00", "cursor"),
])
def test_nul_in_an_api_query_is_400_naming_the_parameter(world_a, url, field):
    response = world_a.api().get(url)
    assert response.status_code == 400
    assert error_fields(response) == [field]


def test_nul_in_a_page_path_is_404_and_in_a_search_box_400(world_a):
    client = world_a.client_for()
    assert client.get(f"/t/{world_a.tenant.slug}/accounts/a%00b/").status_code == 404
    assert client.get("/t/a%00b/accounts/").status_code == 404
    response = client.get(f"/t/{world_a.tenant.slug}/accounts/?q=a%00b")
    assert response.status_code == 400
    assert "q" in response.content.decode()


def test_nul_in_json_strings_is_rejected_naming_the_field(world_a):
    items = [{"external_id": "ok-1", "name": "Fine"}, {"external_id": "nul-1", "name": "a\x00b"},
             {"external_id": "a\x00b", "name": "Id with NUL"}]
    response = world_a.api().post("/api/v1/accounts/bulk", json.dumps(items), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]} == {
        1: ["name"], 2: ["external_id"]}
    assert "nul-1" not in account_ids(world_a)

    response = world_a.api().post("/api/v1/callbacks", {"external_id": "cb-1", "contact": "user-0",
                                                        "note": "call\x00me"}, content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["note"]
    response = world_a.api().post("/api/v1/tickets", {"external_id": "t-nul", "contact": "user-0",
                                                      "channel": "email", "subject": "a\x00b"},
                                  content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["subject"]


def test_nul_in_a_csv_file_is_a_form_error(world_a):
    client = world_a.client_for()
    data = b"external_id,name\nacc-nul,Bad\x00Name\n"
    response = client.post(reverse("account-import", args=[world_a.tenant.slug]),
                           {"file": SimpleUploadedFile("data.csv", data, content_type="text/csv")})
    assert response.status_code == 200  # the form again, with its error
    assert "NUL" in response.content.decode()
    assert "acc-nul" not in account_ids(world_a)


# ---------------------------------------------------------------------------------------------- cursors


def cursor(querystring: str = "", **tokens: str) -> str:
    """A cursor as DRF encodes one (base64 of a urlencoded query string), or of a raw query string."""
    return base64.b64encode((querystring or urlencode(tokens)).encode()).decode()


@pytest.mark.parametrize("value", [
    "!!!not-base64", "%C3%A9t%C3%A9", cursor("o=0&r=0&p=not-a-time"), cursor("o=0&r=0&p=2025-01-01"),
    cursor(o="0", r="0", p="2025-01-01 10:00:00"), cursor(o="0", p="2025-01-01 10:00:00+00:00\x00"),
    cursor("o=0&r=0&p=%00"), cursor(o="-5"), cursor(r="x"), cursor(o="1e9"), cursor(o="0", p="9" * 5000),
    cursor(o="0", r="1", p="99999-01-01 10:00:00+00:00"), cursor(o="0", p="2025-13-01 10:00:00+00:00"),
])
@pytest.mark.parametrize("url", ["/api/v1/accounts", "/api/v1/contacts", "/api/v1/tickets"])
def test_crafted_cursor_is_400_naming_cursor(world_a, url, value):
    response = world_a.api().get(url, {"cursor": value})
    assert response.status_code == 400, response.content[:300]
    assert error_fields(response) == ["cursor"]


@pytest.mark.parametrize("url", ["/api/v1/accounts", "/api/v1/contacts", "/api/v1/tickets"])
def test_a_huge_offset_is_capped_not_a_500(world_a, url):
    # DRF caps the offset at offset_cutoff (1,000 rows sharing one timestamp, more than a bulk batch stamps).
    value = cursor(o="9" * 30, r="0", p="2025-01-01 10:00:00+00:00")
    response = world_a.api().get(url, {"cursor": value})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_a_real_cursor_still_pages(world_a):
    first = world_a.api().get("/api/v1/accounts", {"limit": 1}).json()
    second = world_a.api().get(first["next"]).json()
    assert second["results"] and second["results"][0]["external_id"] != first["results"][0]["external_id"]


# ---------------------------------------------------------------------------------------- external ids


@pytest.mark.parametrize("url, extra", [
    ("/api/v1/accounts/bulk", {"name": "N"}), ("/api/v1/contacts/bulk", {"account": "acc-0"}),
])
def test_bulk_upserts_reject_unaddressable_external_ids_by_index(world_a, url, extra):
    items = [{"external_id": "fine-1", **extra}, {"external_id": "a/b", **extra}, {"external_id": "bulk", **extra},
             {"external_id": " bulk ", **extra}]
    response = world_a.api().post(url, json.dumps(items), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]} == {
        1: ["external_id"], 2: ["external_id"], 3: ["external_id"]}
    with world_a.scope():
        stored = set(Contact.objects.filter(tenant=world_a.tenant).values_list("external_id", flat=True))
    assert not {"a/b", "bulk"} & (stored | account_ids(world_a))


@pytest.mark.parametrize("external_id", ["a/b", "bulk"])
def test_ticket_with_unaddressable_external_id_is_400(world_a, external_id):
    response = world_a.api().post("/api/v1/tickets", {"external_id": external_id, "contact": "user-0",
                                                      "channel": "email"}, content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == ["external_id"]


def test_events_do_not_create_unaddressable_contacts(world_a):
    events = [{"event_id": f"e-{i}", "account": "acc-0", "contact": contact, "name": "x",
               "occurred_at": "2025-03-01T00:00:00Z"} for i, contact in enumerate(["new-1", "a/b", "bulk"])]
    response = world_a.api().post("/api/v1/events/bulk", json.dumps(events), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["contacts_created"] == 1
    assert {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]} == {1: ["contact"], 2: ["contact"]}


def test_account_form_refuses_an_unaddressable_external_id(world_a):
    client = world_a.client_for()
    response = client.post(reverse("account-create", args=[world_a.tenant.slug]),
                           {"external_id": "a/b", "name": "Slash", "lifecycle_stage": "onboarding"})
    assert response.status_code == 200
    assert "external id" in response.content.decode()
    assert "a/b" not in account_ids(world_a)


def test_csv_import_rejects_unaddressable_external_ids_by_line(world_a, django_capture_on_commit_callbacks):
    from accounts.tasks import run_csv_import
    from tests.accounts.test_import_export import the_job, upload

    text = "external_id,name\nok-csv,Fine\na/b,Slash\nbulk,Reserved\n"
    upload(world_a.client_for(world_a.csm), world_a, "account-import", text, django_capture_on_commit_callbacks)
    job = the_job(world_a)
    run_csv_import(world_a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert job.result["accepted"] == 1
    assert {(e["row"], e["field"]) for e in job.result["errors"]} == {(3, "external_id"), (4, "external_id")}
    assert account_ids(world_a) & {"ok-csv", "a/b", "bulk"} == {"ok-csv"}
