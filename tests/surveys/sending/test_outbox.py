"""The outbox: delivery through Django's mail backend (one email per invitation however often the sender
runs, a killed delivery resumes without duplicates), retries with backoff and giving up, bounces, and the
plaintext token gone from the database once delivered. The email's content."""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings

from surveys import tokens
from surveys.models import Invitation, OutboxMessage
from surveys.sending.outbox import BACKOFF_MINUTES, MAX_ATTEMPTS, deliver_outbox
from surveys.sending.services import send_due_invitations
from surveys.sending.tasks import send_surveys
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.helpers import make_survey
from tests.surveys.sending.helpers import NOW, reload, schedule

TOKEN_IN_LINK = re.compile(r"/s/([A-Za-z0-9_-]{22})/")


def send_and_deliver(world, now=NOW):
    with world.scope():
        send_due_invitations(tenant=world.tenant, now=now)
        return deliver_outbox(tenant=world.tenant, now=now)


def deliver(world, now=NOW):
    with world.scope():
        return deliver_outbox(tenant=world.tenant, now=now)


def many_contacts(world, n):
    with world.scope():
        return [ContactFactory(tenant=world.tenant, account=AccountFactory(tenant=world.tenant),
                               email=f"many{i}@example.com") for i in range(n)]


class Killed(BaseException):
    """The worker dies (SIGKILL, OOM): no ``except Exception`` of ours sees it."""


class DiesAtThirdBackend(EmailBackend):
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 3:
            raise Killed
        return super().send_messages(messages)


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed " + "x" * 1000)


def test_a_sender_run_twice_sends_one_email(world_a, mailoutbox):
    survey = make_survey(world_a, kind="csat")
    schedule(world_a, world_a.contacts[0], survey)
    send_and_deliver(world_a)
    send_and_deliver(world_a)
    send_and_deliver(world_a, now=NOW + dt.timedelta(hours=1))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [world_a.contacts[0].email]


def test_a_killed_delivery_resumes_without_duplicates(world_a, mailoutbox):
    survey = make_survey(world_a, kind="nps")
    contacts = many_contacts(world_a, 5)
    for contact in contacts:
        schedule(world_a, contact, survey)
    with world_a.scope():
        assert send_due_invitations(tenant=world_a.tenant, now=NOW).sent == 5
    DiesAtThirdBackend.calls = 0
    with override_settings(EMAIL_BACKEND="tests.surveys.sending.test_outbox.DiesAtThirdBackend"), \
            pytest.raises(Killed):
        deliver(world_a)
    assert len(mailoutbox) == 2
    with world_a.scope():
        assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == ["pending"] * 3 + ["sent"] * 2
    assert deliver(world_a).sent == 3
    assert deliver(world_a).sent == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(c.email for c in contacts)


def test_failures_back_off_then_give_up_and_blank_the_body(world_a, mailoutbox):
    survey = make_survey(world_a, kind="csat")
    invitation = schedule(world_a, world_a.contacts[0], survey)
    with world_a.scope():
        send_due_invitations(tenant=world_a.tenant, now=NOW)
        message = OutboxMessage.objects.get()
    now = NOW
    with override_settings(EMAIL_BACKEND="tests.surveys.sending.test_outbox.RefusingBackend"):
        for attempt, minutes in enumerate(BACKOFF_MINUTES, start=1):
            assert deliver(world_a, now).retrying == 1
            message = reload(world_a, message)
            assert (message.status, message.attempts) == ("pending", attempt)
            assert message.next_attempt_at == now + dt.timedelta(minutes=minutes)
            assert message.last_error.startswith("SMTPServerDisconnected: Connection unexpectedly closed")
            assert len(message.last_error) == 500
            assert message.body_text  # still waiting to be delivered
            assert deliver(world_a, message.next_attempt_at - dt.timedelta(seconds=1)).retrying == 0  # not due
            now = message.next_attempt_at
        assert deliver(world_a, now).failed == 1
    message = reload(world_a, message)
    assert (message.status, message.attempts, message.body_text, message.body_html, message.headers) == (
        "failed", MAX_ATTEMPTS, "", "", {})
    assert deliver(world_a, now + dt.timedelta(days=1)).sent == 0
    assert not mailoutbox
    assert reload(world_a, invitation).status == "sent"


def test_a_failure_then_success_is_delivered_once(world_a, mailoutbox):
    survey = make_survey(world_a, kind="csat")
    schedule(world_a, world_a.contacts[0], survey)
    with world_a.scope():
        send_due_invitations(tenant=world_a.tenant, now=NOW)
    with override_settings(EMAIL_BACKEND="tests.surveys.sending.test_outbox.RefusingBackend"):
        deliver(world_a)
    assert deliver(world_a, NOW + dt.timedelta(minutes=1)).sent == 1
    with world_a.scope():
        message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.last_error, message.sent_at) == (
        "sent", 2, "", NOW + dt.timedelta(minutes=1))
    assert len(mailoutbox) == 1


def test_delivered_email_leaves_no_plaintext_token_in_the_database(world_a, mailoutbox):
    survey = make_survey(world_a, kind="nps")
    invitation = schedule(world_a, world_a.contacts[0], survey)
    send_and_deliver(world_a)
    email = mailoutbox[0]
    token = TOKEN_IN_LINK.search(email.body).group(1)
    invitation = reload(world_a, invitation)
    assert invitation.token_hash == tokens.hash_token(token)
    with world_a.scope():
        message = OutboxMessage.objects.get()
        rows = [*OutboxMessage.objects.values(), *Invitation.objects.values()]
    assert (message.status, message.body_text, message.body_html, message.headers) == ("sent", "", "", {})
    assert token not in repr(rows)
    assert email.extra_headers["Message-ID"] == message.message_id


def test_the_email_shows_the_scale_each_score_a_link_and_an_opt_out(world_a, mailoutbox):
    survey = make_survey(world_a, kind="nps")
    with world_a.scope():
        survey.brand_colour = "#a1b2c3"
        survey.save()
    schedule(world_a, world_a.contacts[0], survey)
    send_and_deliver(world_a)
    email = mailoutbox[0]
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    token = TOKEN_IN_LINK.search(email.body).group(1)
    for body in (email.body, html):
        scores = re.findall(rf"/s/{token}/\?score=(\d+)", body)
        assert scores == [str(n) for n in range(11)]  # 0-10, each once, in order
        assert f"/s/{token}/opt-out/" in body
        assert "Would you recommend us?" in body
    assert email.extra_headers["List-Unsubscribe"] == f"<http://localhost:8000/s/{token}/opt-out/>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # RFC 8058
    assert "#a1b2c3" in html
    # No third-party asset: every URL in the email is the platform's own, and nothing is loaded.
    assert {u.split("/s/")[0] for u in re.findall(r"https?://[^\s\"'<>]+", html + email.body)} == {
        "http://localhost:8000"}
    assert "<img" not in html and "<script" not in html and "<link" not in html
    assert email.subject == "Alpha Analytics: a one-click question"
    assert email.from_email == "Alpha Analytics <cs-platform@localhost>"  # the vendor's name, our address


def test_a_csat_email_has_five_scores_in_turkish(world_a, mailoutbox):
    from surveys.services import TextData

    survey = make_survey(world_a, kind="csat", texts=[TextData(language="en", question="How did we do?"),
                                                      TextData(language="tr", question="Nasıldık?")])
    with world_a.scope():
        contact = world_a.contacts[0]
        contact.language = "tr"
        contact.name = "Ayşe"
        contact.save()
    schedule(world_a, contact, survey)
    send_and_deliver(world_a)
    email = mailoutbox[0]
    assert re.findall(r"\?score=(\d+)", email.body) == ["1", "2", "3", "4", "5"]
    assert "Nasıldık?" in email.body and "Merhaba Ayşe," in email.body
    assert "Artık anket e-postası gönderilmesin" in email.body
    assert email.subject == "Alpha Analytics: tek tıklamalık bir soru"


def test_the_tenant_task_sends_and_delivers(world_a, mailoutbox):
    survey = make_survey(world_a, kind="csat")
    schedule(world_a, world_a.contacts[0], survey, send_after=NOW)
    outcome = send_surveys(world_a.tenant.pk)
    assert (outcome["sent"], outcome["delivered"]) == (1, 1)
    assert len(mailoutbox) == 1


def test_a_sender_killed_mid_run_keeps_whole_chunks_and_resumes_without_duplicates(world_a, mailoutbox, monkeypatch):
    """The third email rendered dies with the worker: the first chunk (two invitations, tokens and emails)
    is committed, the second is rolled back whole (no token without its email), and a re-run finishes."""
    from surveys.sending import services

    survey = make_survey(world_a, kind="nps")
    for contact in many_contacts(world_a, 5):
        schedule(world_a, contact, survey)
    real, calls = services.invitation_email, []

    def dies_at_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Killed
        return real(**kwargs)

    monkeypatch.setattr(services, "SEND_CHUNK", 2)
    monkeypatch.setattr(services, "invitation_email", dies_at_third)
    with world_a.scope(), pytest.raises(Killed):
        send_due_invitations(tenant=world_a.tenant, now=NOW)
    with world_a.scope():
        assert sorted(Invitation.objects.values_list("status", flat=True)) == ["scheduled"] * 3 + ["sent"] * 2
        assert Invitation.objects.filter(token_hash__isnull=False).count() == OutboxMessage.objects.count() == 2
    monkeypatch.setattr(services, "invitation_email", real)
    assert send_and_deliver(world_a).sent == 5
    send_and_deliver(world_a)
    assert len(mailoutbox) == 5 and len({m.to[0] for m in mailoutbox}) == 5


def test_the_beat_task_fans_out_one_task_per_tenant(worlds, monkeypatch):
    from surveys.sending import tasks

    queued = []
    monkeypatch.setattr(tasks.send_surveys, "delay", queued.append)
    assert tasks.send_surveys_all_tenants() == 2
    assert sorted(queued) == sorted(w.tenant.pk for w in worlds)
