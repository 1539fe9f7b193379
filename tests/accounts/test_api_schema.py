"""The OpenAPI schema (drf-spectacular) validates without warnings and matches what the API answers."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tests.urlwalk import api_routes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # --fail-on-warn turns every spectacular warning (untyped field, unresolvable view) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_bearer_scheme_is_declared_and_required_everywhere(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"]}
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in operations.items():
                assert operation["security"] == [{"ApiKeyAuth": []}], (method, path)


def test_every_api_route_is_documented(schema):
    documented = set(schema["paths"])
    for route in api_routes():
        path = "/" + route.route.replace("<str:", "{").replace("<int:", "{").replace(">", "}")
        assert path in documented, path


def test_bulk_endpoints_document_both_body_formats_and_the_errors(schema):
    for path in ("/api/v1/accounts/bulk", "/api/v1/contacts/bulk"):
        post = schema["paths"][path]["post"]
        assert set(post["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
        assert {"200", "400", "401", "403", "413"} <= set(post["responses"])
        assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/BulkResult")


def test_list_filters_are_documented(schema):
    params = {p["name"] for p in schema["paths"]["/api/v1/accounts"]["get"]["parameters"]}
    assert {"updated_since", "lifecycle_stage", "tier", "csm_email", "q", "renewal_before", "renewal_after",
            "cursor", "limit"} <= params
    params = {p["name"] for p in schema["paths"]["/api/v1/contacts"]["get"]["parameters"]}
    assert {"updated_since", "account", "email", "persona", "knowledge_level", "q", "cursor", "limit"} <= params


@pytest.mark.parametrize(("component", "url"), [("Account", "/api/v1/accounts/acc-0"),
                                                ("Contact", "/api/v1/contacts/user-0")])
def test_documented_fields_are_the_answered_fields(schema, world_a, component, url):
    documented = set(schema["components"]["schemas"][component]["properties"])
    assert set(world_a.api().get(url).json()) == documented


def test_schema_and_docs_are_served(db):
    schema_response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema_response.status_code == 200
    assert "/api/v1/accounts/bulk" in json.loads(schema_response.content)["paths"]
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # Swagger UI assets come from our own static files


def test_support_report_rows_declare_every_figure_with_its_shape(schema):
    row = schema["components"]["schemas"]["SupportReportRow"]["properties"]
    from support.reports.selectors import METRICS

    assert set(METRICS) | {"group", "qa_score"} <= set(row)
    for duration in ("first_response_time", "asa", "handle_time", "resolution_time", "full_resolution_time"):
        assert "DurationFigure" in json.dumps(row[duration]), duration
    assert "DurationFigure" not in json.dumps(row["abandon_rate"])


def _query_schema(schema: dict, path: str, name: str) -> dict:
    (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]


@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/contacts", "/api/v1/tickets"])
def test_list_limit_documents_the_range_it_accepts(schema, world_a, path):
    # The fuzz found `limit=0` schema-valid (a bare integer) but answered 400: the range is now in the schema,
    # and its ends are answered as documented (above 500 capped, not refused).
    limit = _query_schema(schema, path, "limit")
    assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 2**31 - 1)
    api = world_a.api()
    for value in (limit["minimum"], limit["maximum"]):
        assert api.get(path, {"limit": value}).status_code == 200, value
    for value in (limit["minimum"] - 1, limit["maximum"] + 1):
        response = api.get(path, {"limit": value})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "limit", value


def test_usage_window_documents_the_range_it_accepts(schema, world_a):
    from health.usage.selectors.adoption import MAX_WINDOW_DAYS

    path = "/api/v1/accounts/{account_external_id}/usage"
    window = _query_schema(schema, path, "window")
    assert (window["type"], window["minimum"], window["maximum"]) == ("integer", 1, MAX_WINDOW_DAYS)
    url = "/api/v1/accounts/acc-0/usage"
    for value in (window["minimum"], window["maximum"]):
        assert world_a.api().get(url, {"window": value}).json()["window_days"] == value
    for value in (window["minimum"] - 1, window["maximum"] + 1):
        assert world_a.api().get(url, {"window": value}).status_code == 400, value


STRICT_INPUTS = ("AccountItem", "ContactItem", "EventItem", "AgentItem", "AgentSessionItem", "TicketInput",
                 "InteractionInput", "StatusInput", "CallbackInput", "SupportCostInput")


@pytest.mark.parametrize("component", STRICT_INPUTS)
def test_inputs_that_refuse_unknown_fields_say_so(schema, component):
    # The fuzz sent schema-valid extra fields and got "unknown field": the schema now closes the objects.
    assert schema["components"]["schemas"][component]["additionalProperties"] is False


def test_schema_states_non_blank_strings_external_ids_and_unsigned_decimals(schema, world_a):
    import re

    item = schema["components"]["schemas"]["AccountItem"]["properties"]
    assert item["name"]["minLength"] == 1 and "minLength" not in item["domain"]  # domain may be blank
    assert item["external_id"]["pattern"] == "^[^/]*$"
    arr = re.compile(item["arr"]["pattern"])
    assert arr.match("12000.50") and not arr.match("-1") and not arr.match("") and not arr.match(".")
    # ... and those are the answers: each refused value is a per-item 400 naming its field.
    bulk = world_a.api().post("/api/v1/accounts/bulk", [
        {"external_id": "ok-1", "name": "Fine", "arr": "12000.50"},
        {"external_id": "ok-2", "name": ""},
        {"external_id": "a/b", "name": "Slash"},
        {"external_id": "ok-3", "name": "Negative", "arr": "-1"},
        {"external_id": "ok-4", "name": "Extra", "colour": "red"},
    ], content_type="application/json").json()
    assert bulk["accepted"] == 1
    assert [(r["index"], r["errors"][0]["field"]) for r in bulk["rejected"]] == [
        (1, "name"), (2, "external_id"), (3, "arr"), (4, "colour")]


def test_support_cost_amount_is_unsigned_and_unknown_fields_are_refused(schema, world_a):
    import re

    amount = re.compile(schema["components"]["schemas"]["SupportCostInput"]["properties"]["amount"]["pattern"])
    assert amount.match("900.50") and not amount.match("-1") and not amount.match(".")
    response = world_a.api().post("/api/v1/support-costs", {"month": "2025-01", "amount": "1", "currency": "USD",
                                                            "colour": "red"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "colour"


def test_answer_only_strings_carry_no_input_rules(schema, world_a):
    # ENFORCE_NON_BLANK_FIELDS is an input rule; answers may hold "" where the input had it (a query parameter
    # with an empty name is named "" in the error), so answer-only strings are read-only and unbounded.
    components = schema["components"]["schemas"]
    for component, name in [("ErrorItem", "field"), ("ErrorItem", "message"), ("CallbackOutput", "contact"),
                            ("CallbackOutput", "status"), ("SupportReport", "timezone"), ("SupportReportRow", "group")]:
        prop = components[component]["properties"][name]
        assert prop["readOnly"] is True and "minLength" not in prop, (component, name)
    response = world_a.api().get("/api/v1/accounts?=%00")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == ""
