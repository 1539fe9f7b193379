"""POST /api/v1/survey-invitations (the budget checked now, answered per contact) and POST /email-bounces."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from surveys.models import Invitation, OptOut, OutboxMessage
from surveys.sending.services import send_due_invitations
from tests.surveys.helpers import make_survey, make_ticket
from tests.surveys.sending.helpers import NOW, reload, resolved_ticket, schedule, sent_before

URL = "/api/v1/survey-invitations"


def post(world, url, body):
    return world.api().post(url, json.dumps(body), content_type="application/json")


def rows(world):
    with world.scope():
        return list(Invitation.objects.order_by("id").values("contact__external_id", "status", "suppressed_reason",
                                                             "trigger", "ticket_id"))


def test_contacts_are_scheduled_or_suppressed_with_the_reason_and_unknown_ones_reported(world_a):
    survey = make_survey(world_a, kind="nps")
    c0, c1, c2 = world_a.contacts[:3]
    with world_a.scope():
        OptOut.objects.create(tenant=world_a.tenant, contact=c1, source=OptOut.Source.API)
        c2.email = ""
        c2.save()
    sent_before(world_a, world_a.contacts[3], survey, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    response = post(world_a, URL, {"survey": str(survey.pk),
                                   "contacts": ["user-0", "user-1", "user-2", "user-3", "nobody", "user-0"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["survey"] == survey.pk
    assert [(r["contact"], r["status"], r["reason"]) for r in body["results"]] == [
        ("user-0", "scheduled", ""), ("user-1", "suppressed", "opted_out"), ("user-2", "suppressed", "no_email"),
        ("user-3", "suppressed", "contact_cooldown"), ("nobody", "unknown", "no contact with this external_id")]
    assert body["results"][4]["invitation"] is None
    stored = rows(world_a)[1:]  # after the one sent before
    assert [(r["contact__external_id"], r["status"], r["suppressed_reason"], r["trigger"]) for r in stored] == [
        ("user-0", "scheduled", "", "api"), ("user-1", "suppressed", "opted_out", "api"),
        ("user-2", "suppressed", "no_email", "api"), ("user-3", "suppressed", "contact_cooldown", "api")]
    with world_a.scope():
        assert body["results"][0]["invitation"] == Invitation.objects.get(contact=c0, status="scheduled").pk


def test_the_account_limit_counts_the_contacts_scheduled_in_the_same_request(world_a):
    survey = make_survey(world_a, kind="nps")
    with world_a.scope():
        from surveys.sending.services import policy_for
        policy = policy_for(tenant=world_a.tenant)
        policy.account_monthly_limit = 1
        policy.save()
    body = post(world_a, URL, {"survey": "nps", "contacts": ["user-0", "user-3"]}).json()  # one account
    assert [(r["status"], r["reason"]) for r in body["results"]] == [("scheduled", ""), ("suppressed", "account_limit")]
    assert body["survey"] != survey.pk  # "nps" is the default NPS survey, created on first use


def test_a_ticket_invites_its_contact_and_send_at_delays_it(world_a):
    survey = make_survey(world_a, kind="csat")
    ticket = resolved_ticket(world_a, "T-5")
    send_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    body = post(world_a, URL, {"survey": str(survey.pk), "ticket": "T-5", "send_at": send_at.isoformat()}).json()
    assert [(r["contact"], r["status"]) for r in body["results"]] == [("user-0", "scheduled")]
    with world_a.scope():
        invitation = Invitation.objects.get()
        assert (invitation.ticket_id, invitation.send_after) == (ticket.pk, send_at)
        assert send_due_invitations(tenant=world_a.tenant).sent == 0  # not due yet
        assert send_due_invitations(tenant=world_a.tenant, now=send_at).sent == 1


def test_an_open_ticket_is_suppressed_now(world_a):
    make_survey(world_a, kind="csat", is_default=True)
    make_ticket(world_a, "T-6")  # new: open
    body = post(world_a, URL, {"survey": "csat", "ticket": "T-6"}).json()
    assert [(r["status"], r["reason"]) for r in body["results"]] == [("suppressed", "ticket_reopened")]


@pytest.mark.parametrize(("body", "field"), [
    ({"contacts": ["user-0"]}, "survey"),
    ({"survey": "stars", "contacts": ["user-0"]}, "survey"),
    ({"survey": "999999", "contacts": ["user-0"]}, "survey"),
    ({"survey": "nps"}, "contacts"),
    ({"survey": "nps", "contacts": []}, "contacts"),
    ({"survey": "nps", "contacts": ["user-0"], "ticket": "T-1"}, "contacts"),
    ({"survey": "nps", "contacts": [f"c{i}" for i in range(1001)]}, "contacts"),
    ({"survey": "nps", "contacts": ["x" * 129]}, "contacts"),
    ({"survey": "nps", "contacts": "user-0"}, "contacts"),
    ({"survey": "nps", "ticket": "no-such-ticket"}, "ticket"),
    ({"survey": "nps", "contacts": ["user-0"], "send_at": "2026-01-01T10:00:00"}, "send_at"),
    ({"survey": "nps", "contacts": ["user-0"], "send_at": "3026-01-01T10:00:00Z"}, "send_at"),
    ({"survey": "nps", "contacts": ["user-0"], "sendat": "x"}, "sendat"),
    ({"survey": "nps\x00", "contacts": ["user-0"]}, "survey"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(world_a, body, field):
    from surveys.models import Survey

    response = post(world_a, URL, body)
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]][0].split(".")[0].split("[")[0] == field, response.json()
    assert rows(world_a) == []
    with world_a.scope():
        assert not Survey.objects.exists()  # not even a kind's default survey


def test_a_list_body_is_a_400(world_a):
    assert post(world_a, URL, [{"survey": "nps"}]).status_code == 400


def test_read_only_keys_cannot_invite(world_a):
    from tests.factories import make_api_key

    _key, raw = make_api_key(world_a.tenant, scopes=("read",))
    response = world_a.api(raw).post(URL, json.dumps({"survey": "nps", "contacts": ["user-0"]}),
                                     content_type="application/json")
    assert response.status_code == 403


# --- bounces ---------------------------------------------------------------------------------------


def _delivered(world):
    survey = make_survey(world, kind="csat")
    invitation = schedule(world, world.contacts[0], survey)
    with world.scope():
        send_due_invitations(tenant=world.tenant, now=NOW)
        from surveys.sending.outbox import deliver_outbox
        deliver_outbox(tenant=world.tenant, now=NOW)
        return invitation, OutboxMessage.objects.get()


def test_a_bounce_marks_the_message_and_the_invitation_stays_sent(world_a, mailoutbox):
    invitation, message = _delivered(world_a)
    bare = message.message_id.strip("<>")
    items = [{"message_id": bare, "reason": "550 5.1.1 user unknown", "bounced_at": "2026-03-10T16:00:00Z"},
             {"message_id": "<nobody@example.com>", "reason": "x"},
             {"message_id": "m", "bounced_at": "yesterday"}]
    response = post(world_a, "/api/v1/email-bounces", items)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["updated"], body["duplicates"]) == (1, 1, 0)
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [(1, "message_id"), (2, "bounced_at")]
    message = reload(world_a, message)
    assert (message.status, message.bounce_reason, message.bounced_at) == (
        "bounced", "550 5.1.1 user unknown", dt.datetime(2026, 3, 10, 16, tzinfo=dt.UTC))
    assert reload(world_a, invitation).status == "sent"
    again = post(world_a, "/api/v1/email-bounces", items[:1]).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)


def test_bounces_of_another_tenant_are_unknown(worlds, mailoutbox):
    a, b = worlds
    _invitation, theirs = _delivered(b)
    body = post(a, "/api/v1/email-bounces", [{"message_id": theirs.message_id, "reason": "x"}]).json()
    assert body["accepted"] == 0 and body["rejected"][0]["errors"][0]["field"] == "message_id"
    assert reload(b, theirs).status == "sent"


def test_bounces_body_must_be_a_list_and_bounded(world_a):
    assert post(world_a, "/api/v1/email-bounces", {"message_id": "x"}).status_code == 400
    assert post(world_a, "/api/v1/email-bounces", [{"message_id": f"m{i}"} for i in range(1001)]).status_code == 413
