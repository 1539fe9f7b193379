"""The typed inputs of the ticket services (support.records.data): each domain rule once, accepted and
rejected with the field named, and the API and the services refusing the same input the same way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from support.models import Interaction, TicketStatusChange
from support.records.data import UNSET, InputError, InteractionData, RecordError, StatusData, TicketData
from support.records.inputs import InteractionInput, StatusInput
from support.records.services.tickets import append_interaction, change_status
from tests.support.conftest import make_ticket

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def interaction(**given) -> InteractionData:
    fields = {"external_id": "i-1", "channel": "email", "direction": "inbound", "author_type": "contact",
              "started_at": T0, **given}
    return InteractionData(**{k: v for k, v in fields.items() if v is not OMIT})


OMIT = object()  # leave the field out (its default applies)


def refused(**given) -> dict[str, list[str]]:
    with pytest.raises(InputError) as caught:
        interaction(**given)
    return caught.value.errors


# ------------------------------------------------------------------------------------- interaction rules

ACCEPTED = [
    pytest.param({}, id="contact-writes-inbound"),
    pytest.param({"direction": "outbound", "author_type": "agent", "agent": "ana@alpha.test"}, id="agent-outbound"),
    pytest.param({"author_type": "system"}, id="system-inbound"),
    pytest.param({"direction": "outbound", "author_type": "bot"}, id="bot-outbound"),
    pytest.param({"direction": "outbound", "author_type": "agent", "is_internal": True}, id="agent-internal-note"),
    pytest.param({"channel": "chat", "answered_at": later(30), "ended_at": later(300)}, id="live-timestamps"),
    pytest.param({"channel": "phone", "queued_at": T0}, id="live-inbound-started-equals-queued"),
    pytest.param({"channel": "phone", "answered_at": T0, "ended_at": T0}, id="answered-and-ended-at-start"),
    pytest.param({"channel": "phone", "ended_at": later(60)}, id="abandoned-call"),
    pytest.param({"channel": "chat", "direction": "outbound", "author_type": "agent", "queued_at": later(-60)},
                 id="live-outbound-queued-before-start"),
]


@pytest.mark.parametrize("given", ACCEPTED)
def test_accepted(given):
    data = interaction(**given)
    assert data.started_at == T0


REFUSED = [  # (given, {field: message}), the only errors expected
    pytest.param({"direction": "outbound"}, {"direction": "an interaction authored by the contact is inbound"},
                 id="contact-writes-outbound"),
    pytest.param({"author_type": "agent"},
                 {"author_type": "an inbound interaction is authored by the contact (or the system)"},
                 id="agent-writes-inbound"),
    pytest.param({"author_type": "bot"},
                 {"author_type": "an inbound interaction is authored by the contact (or the system)"},
                 id="bot-writes-inbound"),
    pytest.param({"is_internal": True}, {"is_internal": "internal notes are written by agents, not contacts"},
                 id="contact-writes-internal-note"),
    pytest.param({"queued_at": T0}, {"queued_at": "only for live channels (chat, phone)"}, id="queued-on-email"),
    pytest.param({"answered_at": later(60)}, {"answered_at": "only for live channels (chat, phone)"},
                 id="answered-on-email"),
    pytest.param({"ended_at": later(60)}, {"ended_at": "only for live channels (chat, phone)"}, id="ended-on-email"),
    pytest.param({"channel": "phone", "queued_at": later(-5)},
                 {"started_at": "must equal queued_at for a live inbound interaction (or be omitted)"},
                 id="live-inbound-started-differs-from-queued"),
    pytest.param({"started_at": OMIT}, {"started_at": "This field is required."}, id="no-start"),
    pytest.param({"channel": "chat", "direction": "outbound", "author_type": "agent", "started_at": OMIT,
                  "queued_at": T0}, {"started_at": "This field is required."}, id="live-outbound-queued-no-start"),
    pytest.param({"channel": "phone", "answered_at": later(-1)},
                 {"answered_at": "must not be before queued_at/started_at"}, id="answered-before-start"),
    pytest.param({"channel": "chat", "direction": "outbound", "author_type": "agent", "queued_at": later(10),
                  "answered_at": later(5)},
                 {"answered_at": "must not be before queued_at/started_at"}, id="answered-before-queued"),
    pytest.param({"channel": "phone", "answered_at": later(60), "ended_at": later(30)},
                 {"ended_at": "must not be before answered_at (or started_at)"}, id="ended-before-answered"),
    pytest.param({"channel": "phone", "ended_at": later(-1)},
                 {"ended_at": "must not be before answered_at (or started_at)"}, id="ended-before-start"),
    pytest.param({"channel": "fax"}, {"channel": "not a valid channel"}, id="unknown-channel"),
    pytest.param({"direction": "sideways"}, {"direction": "not a valid direction"}, id="unknown-direction"),
    pytest.param({"author_type": "robot"}, {"author_type": "not a valid author_type"}, id="unknown-author"),
]


@pytest.mark.parametrize(("given", "expected"), REFUSED)
def test_refused_naming_the_field(given, expected):
    assert refused(**given) == {field: [message] for field, message in expected.items()}


def test_every_broken_rule_is_reported_at_once_in_rule_order():
    errors = refused(direction="outbound", is_internal=True, queued_at=T0, ended_at=later(-1))
    assert list(errors) == ["direction", "is_internal", "queued_at", "ended_at"]


def test_a_live_inbound_interaction_starts_when_it_is_queued():
    assert interaction(channel="chat", started_at=OMIT, queued_at=T0).started_at == T0
    assert interaction(channel="chat").queued_at == T0
    assert interaction(channel="chat", direction="outbound", author_type="agent").queued_at is None
    assert interaction().queued_at is None  # not a live channel


def test_an_instance_is_always_valid():
    data = interaction(channel="phone")
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.direction = "outbound"  # type: ignore[misc]
    with pytest.raises(InputError) as caught:
        dataclasses.replace(data, direction="outbound")  # replace builds a new one, through the rules
    assert caught.value.field == "direction"


def test_input_error_is_a_record_error_naming_the_first_field():
    with pytest.raises(RecordError) as caught:
        interaction(author_type="agent", is_internal=True, started_at=OMIT)
    error = caught.value
    assert isinstance(error, InputError)
    assert (error.field, str(error)) == ("author_type",
                                         "an inbound interaction is authored by the contact (or the system)")
    assert [e["field"] for e in error.as_errors()] == ["author_type", "started_at"]
    assert error.detail() == error.errors


# ------------------------------------------------------------------------------------- tickets and status


def test_ticket_fields_not_given_are_unset():
    data = TicketData(external_id="T-1", contact_email="a@b.test", contact_phone="+15550100")
    assert (data.account, data.channel, data.subject, data.priority, data.created_at, data.assignee,
            data.team) == (UNSET,) * 7
    assert not UNSET  # reads as "nothing given"
    assert data.identities == [("email", "a@b.test"), ("phone", "+15550100")] and data.names_contact
    assert not TicketData(external_id="T-1", contact_name="Only a name").names_contact


@pytest.mark.parametrize(("given", "field"), [({"channel": "fax"}, "channel"), ({"priority": "asap"}, "priority")])
def test_ticket_choices(given, field):
    with pytest.raises(InputError) as caught:
        TicketData(external_id="T-1", **given)
    assert caught.value.errors == {field: [f"not a valid {field}"]}
    TicketData(external_id="T-1", channel="chat", priority="urgent")


def test_status_choices():
    assert StatusData(status="resolved").assignee is UNSET
    with pytest.raises(InputError) as caught:
        StatusData(status="done")
    assert caught.value.errors == {"status": ["not a valid status"]}


# ------------------------------------------------------------------------------------- one rule, two doors


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


BAD_INTERACTIONS = [
    {"channel": "email", "direction": "outbound", "author_type": "contact", "started_at": "2025-03-03T09:00:00Z"},
    {"channel": "email", "direction": "inbound", "author_type": "agent", "is_internal": True,
     "started_at": "2025-03-03T09:00:00Z"},
    {"channel": "email", "direction": "inbound", "author_type": "contact", "started_at": "2025-03-03T09:00:00Z",
     "queued_at": "2025-03-03T09:00:00Z", "answered_at": "2025-03-03T08:00:00Z"},
    {"channel": "phone", "direction": "inbound", "author_type": "contact", "started_at": "2025-03-03T09:00:00Z",
     "queued_at": "2025-03-03T08:59:00Z"},
    {"channel": "chat", "direction": "outbound", "author_type": "agent"},
    {"channel": "phone", "direction": "inbound", "author_type": "contact", "queued_at": "2025-03-03T09:00:00Z",
     "answered_at": "2025-03-03T09:01:00Z", "ended_at": "2025-03-03T09:00:30Z"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", BAD_INTERACTIONS, ids=range(len(BAD_INTERACTIONS)))
def test_the_api_and_the_service_refuse_a_bad_interaction_alike(world_a, body):
    body = {"external_id": "bad-1", **body}
    with world_a.scope():
        ticket = make_ticket(world_a.tenant, "T-doors")
    response = post(world_a.api(), "/api/v1/tickets/T-doors/interactions", body)
    assert response.status_code == 400, response.content

    parsed = InteractionInput(data=body)
    assert parsed.is_valid(), parsed.errors  # only the domain rules are broken
    with world_a.scope(), pytest.raises(InputError) as caught:
        append_interaction(tenant=world_a.tenant, ticket=ticket, data=InteractionData(**parsed.validated_data))
    assert caught.value.as_errors() == response.json()["errors"]
    with world_a.scope():
        assert not Interaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["assignee", "agent"])
def test_the_api_and_the_service_refuse_an_unknown_agent_alike(desk, field):
    world, tenant = desk["world"], desk["tenant"]
    ticket = make_ticket(tenant, "T-doors")
    body = {"status": "resolved", "changed_at": "2025-03-03T10:00:00Z", field: "ghost@alpha.test"}
    parsed = StatusInput(data=body)
    assert parsed.is_valid(), parsed.errors
    with pytest.raises(RecordError) as caught:
        change_status(tenant=tenant, ticket=ticket, data=StatusData(**parsed.validated_data))
    assert caught.value.as_errors() == [
        {"field": field, "message": "no agent with this email (create it with POST /agents/bulk)"}]

    response = post(world.api(), "/api/v1/tickets/T-doors/status", body)
    assert response.status_code == 400
    assert response.json()["errors"] == caught.value.as_errors()
    assert not TicketStatusChange.objects.filter(tenant=tenant).exists()


# ------------------------------------------------------------------------------------- the update path


@pytest.mark.django_db
def test_an_update_that_only_moves_the_ticket_to_another_account_or_contact_is_saved(world_a):
    api = world_a.api()
    assert post(api, "/api/v1/tickets", {"external_id": "MV-1", "contact": "user-0", "channel": "email"}
                ).json()["account"] == "acc-0"
    moved = post(api, "/api/v1/tickets", {"external_id": "MV-1", "account": "acc-2"})
    assert (moved.status_code, moved.json()["account"]) == (200, "acc-2")
    moved = post(api, "/api/v1/tickets", {"external_id": "MV-1", "contact": "user-1"})
    assert (moved.status_code, moved.json()["contact"], moved.json()["account"]) == (200, "user-1", "acc-2")
    assert api.get("/api/v1/tickets/MV-1").json()["contact"] == "user-1"
