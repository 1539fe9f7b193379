"""Schemathesis over the served OpenAPI schema (README, API: "Fuzz"): every operation of ``/api/v1/``, called
in process through Django's WSGI application with a tenant's API key, must answer no 5xx and only what the
schema documents: status codes, content types, headers and bodies.

Bounded and reproducible: ``max_examples`` per operation, derandomized, no Hypothesis database.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Job
from cs_platform.wsgi import application
from support.models import Agent, Team
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket

# Per operation; FUZZ_MAX_EXAMPLES raises it for a longer hunt by hand (CI keeps the default).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))



@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The bulk endpoints' second body format: one JSON value per line (the schema describes one item)."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


# Every date and timestamp the API takes lies in cs_platform.bounds' window (2000 to ten years ahead), which
# OpenAPI 3.0 cannot state for a `format: date`; schema-valid values are drawn from inside it (fixed ends, so
# runs repeat), and the window's edges have their own tests (tests/accounts/test_bounded_dates.py).
WINDOW_START, WINDOW_END = dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 12, 31, tzinfo=dt.UTC)
OFFSETS = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-8))])
schemathesis.openapi.format("date", st.dates(WINDOW_START.date(), WINDOW_END.date()).map(dt.date.isoformat))
schemathesis.openapi.format("date-time", st.datetimes(
    WINDOW_START.replace(tzinfo=None) + dt.timedelta(days=1), WINDOW_END.replace(tzinfo=None), timezones=OFFSETS,
).map(dt.datetime.isoformat))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,  # only where accepts_every_valid_request (below)
]

# Path parameters that name an object of the fuzzed tenant, so that the 200 answers are fuzzed as well as the 404s.
KNOWN = {
    "account_external_id": "acc-0",
    "contact_external_id": "user-0",
    "ticket_external_id": "FUZZ-1",
}


@schema.hook
def map_path_parameters(context, path_parameters):
    # Deterministic (Hypothesis replays it): about half the generated ids are swapped for existing objects.
    if not path_parameters:
        return path_parameters
    out = dict(path_parameters)
    for name, value in path_parameters.items():
        if name in KNOWN and len(str(value)) % 2 == 0:
            out[name] = KNOWN[name]
    return out


@pytest.fixture
def in_process_requests():
    """Django closes the database connection when a request ends (``close_old_connections``), which would end
    the test's transaction; its test client turns that off around each request, and so does this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world_a, in_process_requests):
    """Tenant A with a team, an agent, a ticket with an interaction, and a job, created inside its scope."""
    t0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with world_a.scope():
        team = Team.objects.create(tenant=world_a.tenant, name="Tier 1")
        Agent.objects.create(tenant=world_a.tenant, email="ana@alpha.test", name="Ana", team=team)
        ticket = upsert_ticket(tenant=world_a.tenant, data=TicketData(
            external_id="FUZZ-1", contact="user-0", channel="email", created_at=t0)).obj
        append_interaction(tenant=world_a.tenant, ticket=ticket, data=InteractionData(
            external_id="FUZZ-1-m1", channel="email", direction="inbound", author_type="contact", started_at=t0,
            agent="", body="hello"))
        job = Job.objects.create(tenant=world_a.tenant, kind="import", total=10, done=3)
    world_a.extra["job"] = job
    return world_a


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, fuzz_world):
    if "job_pk" in (case.path_parameters or {}) and case.path_parameters["job_pk"] == 1:
        case.path_parameters["job_pk"] = fuzz_world.extra["job"].pk
    checks = CHECKS if accepts_every_valid_request(case) else [c for c in CHECKS if c is not positive_data_acceptance]
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_world.raw_key}"}, checks=checks)


# Where a schema-valid request may still be refused, for a rule OpenAPI 3.0 cannot state (README, API "Fuzz"):
# writes name other objects (an account that must exist, an agent, a team) and carry rules across fields
# (ended_at after started_at); the support and survey reports take `from` and `to` together, `from` before `to`, at most
# three years apart, and an account's health history at most 366 days; a `cursor` is an opaque token from a `next`
# link (a made-up one is a 400 naming it); and
# no string may hold NUL (PostgreSQL cannot store it: a 400 naming the parameter). Everything else must
# accept what its schema calls valid.
REFUSES_SOME_VALID_QUERIES = ("/api/v1/reports/support", "/api/v1/reports/surveys",
                              "/api/v1/accounts/{account_external_id}/health/history",
                              # as_of after today (the schema's dates have no "today"); a scorecard id
                              # below 1 (a 400 naming `scorecard`)
                              "/api/v1/accounts/{account_external_id}/health", "/api/v1/health/backtest")


def accepts_every_valid_request(case) -> bool:
    # The operation's method: a case may call another one (the check that unsupported methods answer 405).
    if case.operation.method.upper() != "GET" or case.path in REFUSES_SOME_VALID_QUERIES:
        return False
    query = case.query or {}
    return "cursor" not in query and not any("\x00" in str(value) for value in query.values())
