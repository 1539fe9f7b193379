"""Issue 10, bounded input: every timestamp that enters the support API is inside cs_platform.bounds' window
(2000-01-01T00:00Z to now + 10 years). Outside it is a 400 naming the field and nothing is written; the pages
and lists that broke on such rows keep answering 200."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from cs_platform import bounds
from support.desk.models import Callback
from support.models import AgentSession, Interaction, Ticket, TicketStatusChange
from support.records.data import InputError, InteractionData, StatusData, TicketData

pytestmark = pytest.mark.django_db

ATTACKS = ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00"]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


# The parameters are computed when the tests are collected and the window's end moves with the clock: the
# margins around it (6 hours) outlast any test run (5 minutes was passed by a full suite on a busy machine).
def outside() -> list[str]:
    """The attacker's two, one just before the earliest and one just after the latest moment, Unicode digits."""
    return [*ATTACKS, "1999-12-31T23:59:59Z", "1999-12-31T23:59:59-00:00",
            _iso(bounds.latest() + dt.timedelta(hours=6)), "٢٠٢٦-01-01T00:00:00Z"]


def inside() -> list[str]:
    return ["2000-01-01T00:00:00Z", "2000-01-01T01:00:00+01:00", _iso(bounds.latest() - dt.timedelta(hours=6))]


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def fields(response) -> set:
    return {e["field"] for e in response.json()["errors"]}


TICKET = {"external_id": "HD-1", "contact": "user-0", "channel": "email", "subject": "Cannot log in"}


def _pages_still_answer(world):
    client = world.client_for()
    assert client.get(reverse("inbox", args=[world.tenant.slug])).status_code == 200
    assert client.get(reverse("contact-detail", args=[world.tenant.slug, world.contacts[0].pk])).status_code == 200
    assert world.api().get("/api/v1/tickets").status_code == 200


@pytest.mark.parametrize("when", outside())
def test_ticket_created_at_outside_the_window_is_a_400_and_writes_nothing(world_a, when):
    r = post(world_a.api(), "/api/v1/tickets", {**TICKET, "created_at": when})
    assert r.status_code == 400, r.content
    assert fields(r) == {"created_at"}
    with world_a.scope():
        assert not Ticket.objects.exists()
    _pages_still_answer(world_a)


@pytest.mark.parametrize("when", inside())
def test_ticket_created_at_just_inside_is_accepted(world_a, when):
    r = post(world_a.api(), "/api/v1/tickets", {**TICKET, "created_at": when})
    assert r.status_code == 201, r.content
    _pages_still_answer(world_a)


@pytest.fixture
def ticket(world_a):
    r = post(world_a.api(), "/api/v1/tickets", {**TICKET, "created_at": "2025-03-03T09:00:00Z"})
    assert r.status_code == 201, r.content
    return "HD-1"


@pytest.mark.parametrize("field", ["changed_at"])
@pytest.mark.parametrize("when", outside())
def test_status_changed_at_outside_is_a_400(world_a, ticket, field, when):
    with world_a.scope():
        before = TicketStatusChange.objects.count()
    r = post(world_a.api(), f"/api/v1/tickets/{ticket}/status", {"status": "open", field: when})
    assert r.status_code == 400, r.content
    assert fields(r) == {field}
    with world_a.scope():
        assert TicketStatusChange.objects.count() == before
        assert Ticket.objects.get().status == "new"
    _pages_still_answer(world_a)


def test_status_changed_at_just_inside_is_accepted(world_a, ticket):
    r = post(world_a.api(), f"/api/v1/tickets/{ticket}/status", {"status": "open", "changed_at": inside()[0]})
    assert r.status_code == 200, r.content
    _pages_still_answer(world_a)


INTERACTION = {"external_id": "M-1", "channel": "chat", "direction": "inbound", "author_type": "contact",
               "queued_at": "2025-03-03T09:00:00Z", "answered_at": "2025-03-03T09:01:00Z",
               "ended_at": "2025-03-03T09:10:00Z"}


@pytest.mark.parametrize("field", ["started_at", "queued_at", "answered_at", "ended_at"])
@pytest.mark.parametrize("when", outside())
def test_interaction_times_outside_are_a_400(world_a, ticket, field, when):
    r = post(world_a.api(), f"/api/v1/tickets/{ticket}/interactions", {**INTERACTION, field: when})
    assert r.status_code == 400, r.content
    assert field in fields(r)
    with world_a.scope():
        assert not Interaction.objects.exists()
    _pages_still_answer(world_a)


def test_interaction_just_inside_is_accepted(world_a, ticket):
    body = {"external_id": "M-1", "channel": "email", "direction": "inbound", "author_type": "contact",
            "started_at": inside()[0]}
    r = post(world_a.api(), f"/api/v1/tickets/{ticket}/interactions", body)
    assert r.status_code == 201, r.content
    _pages_still_answer(world_a)


@pytest.mark.parametrize("field", ["started_at", "ended_at"])
@pytest.mark.parametrize("when", outside())
def test_agent_session_times_outside_are_rejected_naming_the_field(world_a, field, when):
    post(world_a.api(), "/api/v1/agents/bulk", [{"email": "ana@alpha.test"}])
    item = {"agent": "ana@alpha.test", "started_at": "2025-03-03T09:00:00Z", "ended_at": "2025-03-03T10:00:00Z",
            field: when}
    out = post(world_a.api(), "/api/v1/agent-sessions/bulk", [item]).json()
    assert out["accepted"] == 0
    assert [e["field"] for e in out["rejected"][0]["errors"]] == [field]
    with world_a.scope():
        assert not AgentSession.objects.exists()


def test_agent_session_just_inside_is_accepted(world_a):
    post(world_a.api(), "/api/v1/agents/bulk", [{"email": "ana@alpha.test"}])
    item = {"agent": "ana@alpha.test", "started_at": inside()[0], "ended_at": "2000-01-01T02:00:00Z"}
    out = post(world_a.api(), "/api/v1/agent-sessions/bulk", [item]).json()
    assert out["accepted"] == 1, out


@pytest.mark.parametrize("field", ["due_at", "requested_at"])
@pytest.mark.parametrize("when", outside())
def test_callback_times_outside_are_a_400(world_a, field, when):
    body = {"external_id": "CB-1", "phone": "+14155550100", "account": "acc-0", field: when}
    r = post(world_a.api(), "/api/v1/callbacks", body)
    assert r.status_code == 400, r.content
    assert fields(r) == {field}
    with world_a.scope():
        assert not Callback.objects.exists()


def test_callback_just_inside_is_accepted(world_a):
    r = post(world_a.api(), "/api/v1/callbacks", {"external_id": "CB-1", "phone": "+14155550100", "account": "acc-0",
                                                  "requested_at": inside()[0], "due_at": inside()[-1]})
    assert r.status_code in (200, 201), r.content


@pytest.mark.parametrize("when", outside())
def test_list_filter_updated_since_outside_is_a_400(world_a, when):
    r = world_a.api().get("/api/v1/tickets", {"updated_since": when})
    assert r.status_code == 400, r.content
    assert fields(r) == {"updated_since"}


def test_list_filter_updated_since_just_inside_is_accepted(world_a):
    for when in inside():
        assert world_a.api().get("/api/v1/tickets", {"updated_since": when}).status_code == 200


@pytest.mark.parametrize("when", [*ATTACKS, "1999-12-31T00:00:00Z"])
def test_inbox_ignores_a_since_outside_the_window(world_a, when):
    r = world_a.client_for().get(reverse("inbox", args=[world_a.tenant.slug]), {"since": when})
    assert r.status_code == 200


def test_window_is_2000_to_ten_years_ahead():
    now = timezone.now()
    assert bounds.time_error(bounds.EARLIEST) is None
    assert bounds.time_error(bounds.EARLIEST - dt.timedelta(microseconds=1))
    assert bounds.time_error(now + dt.timedelta(days=3652), now=now) is None
    assert bounds.time_error(now + dt.timedelta(days=3654), now=now)
    assert bounds.parse_aware("٢٠٢٦-01-01T00:00:00Z") is None


def test_typed_inputs_refuse_times_outside_for_every_door():
    far = dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-12)))
    with pytest.raises(InputError) as exc:
        TicketData(external_id="T", contact="c", channel="email", created_at=far)
    assert exc.value.field == "created_at"
    with pytest.raises(InputError) as exc:
        StatusData(status="open", changed_at=far)
    assert exc.value.field == "changed_at"
    with pytest.raises(InputError) as exc:
        InteractionData(external_id="M", channel="email", direction="inbound", author_type="contact", started_at=far)
    assert exc.value.field == "started_at"


@pytest.mark.parametrize("limit", ["²", "٣"])
def test_list_limit_with_unicode_digits_is_a_400_naming_limit(world_a, limit):
    # str.isdigit() is true for them; int("²") raised ValueError (a 500).
    r = world_a.api().get("/api/v1/tickets", {"limit": limit})
    assert r.status_code == 400 and fields(r) == {"limit"}


@pytest.mark.parametrize("when", ATTACKS)
def test_ticket_from_an_unknown_identity_with_a_bad_time_creates_no_contact_either(world_a, when):
    with world_a.scope():
        contacts = Contact.objects.count()
    body = {"external_id": "HD-9", "contact_email": "new.person@acme0.example.com", "channel": "email",
            "created_at": when}
    r = post(world_a.api(), "/api/v1/tickets", body)
    assert r.status_code == 400 and fields(r) == {"created_at"}
    with world_a.scope():
        assert Contact.objects.count() == contacts
        assert not Ticket.objects.exists()
