"""The sender: due invitations decided at the moment they are due (fatigue budget across kinds and an
account's contacts, opt-out, ticket state), the token issued and the email queued in one transaction,
the language chosen; concurrency (the per-tenant advisory lock)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from accounts.tenancy import tenant_scope
from support.models import Ticket
from surveys.models import Campaign, Invitation, OptOut, OutboxMessage, SuppressionReason
from surveys.sending.services import SENDER_LOCK_CLASS, policy_for, send_due_invitations
from surveys.services import TextData
from tests.factories import ContactFactory
from tests.surveys.helpers import make_survey, make_ticket
from tests.surveys.sending.helpers import NOW, reload, resolved_ticket, schedule, sent_before, surveys


def run(world, now=NOW, **kw):
    with world.scope():
        return send_due_invitations(tenant=world.tenant, now=now, **kw)


def set_policy(world, **values):
    with world.scope():
        policy = policy_for(tenant=world.tenant)
        for name, value in values.items():
            setattr(policy, name, value)
        policy.save()


def test_a_due_invitation_is_sent_and_its_email_queued_and_a_later_one_waits(world_a):
    csat, _ = surveys(world_a)
    due = schedule(world_a, world_a.contacts[0], csat)
    later = schedule(world_a, world_a.contacts[1], csat, send_after=NOW + dt.timedelta(seconds=1))
    result = run(world_a)
    assert (result.sent, dict(result.suppressed), result.busy) == (1, {}, False)
    due, later = reload(world_a, due), reload(world_a, later)
    assert (due.status, due.sent_at, due.expires_at, due.language) == ("sent", NOW, NOW + dt.timedelta(days=28), "en")
    assert len(due.token_hash) == 64
    assert later.status == "scheduled" and later.token_hash is None
    with world_a.scope():
        message = OutboxMessage.objects.get()
    assert (message.invitation_id, message.to_email, message.status, message.next_attempt_at) == (
        due.pk, world_a.contacts[0].email, "pending", NOW)
    assert message.message_id.startswith("<") and message.headers["List-Unsubscribe"].startswith("<http")


def test_a_csat_sent_blocks_an_nps_for_the_cooldown_then_lets_it_through(world_a):
    csat, nps = surveys(world_a)
    contact = world_a.contacts[0]
    sent_before(world_a, contact, csat, at=NOW - dt.timedelta(days=29, hours=23))
    blocked = schedule(world_a, contact, nps)
    run(world_a)
    blocked = reload(world_a, blocked)
    assert (blocked.status, blocked.suppressed_reason, blocked.suppressed_at) == ("suppressed", "contact_cooldown", NOW)
    assert blocked.token_hash is None
    # 30 days after that CSAT the contact may be surveyed again, by any kind.
    allowed = schedule(world_a, contact, nps, send_after=NOW + dt.timedelta(hours=1))
    run(world_a, now=NOW + dt.timedelta(hours=1))
    assert reload(world_a, allowed).status == "sent"


def test_cooldown_zero_means_no_limit_and_the_same_run_counts_its_own_sends(world_a):
    csat, nps = surveys(world_a)
    contact = world_a.contacts[0]
    first, second = schedule(world_a, contact, csat), schedule(world_a, contact, nps)
    result = run(world_a)
    assert (result.sent, dict(result.suppressed)) == (1, {"contact_cooldown": 1})
    assert [reload(world_a, i).status for i in (first, second)] == ["sent", "suppressed"]
    set_policy(world_a, contact_cooldown_days=0)
    third = schedule(world_a, contact, nps)
    run(world_a)
    assert reload(world_a, third).status == "sent"


def test_an_accounts_monthly_limit_counts_its_contacts_by_the_tenants_calendar_month(world_a):
    """Los Angeles (the world's zone) is UTC-8 on 1 March 2026: 07:30Z is still 28 February there."""
    csat, nps = surveys(world_a)
    set_policy(world_a, account_monthly_limit=1)
    first, other = world_a.contacts[0], world_a.contacts[3]  # both of account 0
    assert first.account_id == other.account_id
    march_local = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)  # 00:30 on 1 March in Los Angeles
    sent_before(world_a, first, csat, at=dt.datetime(2026, 3, 1, 7, 30, tzinfo=dt.UTC))  # February there
    allowed = schedule(world_a, other, nps, send_after=march_local)
    run(world_a, now=march_local)
    assert reload(world_a, allowed).status == "sent"
    # That March send uses up March: another of the account's contacts waits for April (local).
    third = ContactFactory(tenant=world_a.tenant, account=first.account, email="third@acme0.example.com")
    blocked = schedule(world_a, third, nps, send_after=march_local)
    run(world_a, now=march_local + dt.timedelta(days=30))  # 31 March 00:30 local: still March
    blocked = reload(world_a, blocked)
    assert (blocked.status, blocked.suppressed_reason) == ("suppressed", "account_limit")
    # Another account is not concerned.
    elsewhere = schedule(world_a, world_a.contacts[1], nps, send_after=march_local)
    run(world_a, now=march_local + dt.timedelta(days=30))
    assert reload(world_a, elsewhere).status == "sent"


def test_the_monthly_limit_resets_at_local_midnight_on_the_first(world_a):
    csat, nps = surveys(world_a)
    set_policy(world_a, account_monthly_limit=1, contact_cooldown_days=0)
    contact = world_a.contacts[0]
    sent_before(world_a, contact, csat, at=dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC))
    # 1 April 06:59Z is 31 March 23:59 in Los Angeles (UTC-7 after the March change): still blocked.
    late_march = dt.datetime(2026, 4, 1, 6, 59, tzinfo=dt.UTC)
    blocked = schedule(world_a, contact, nps, send_after=late_march)
    run(world_a, now=late_march)
    assert reload(world_a, blocked).suppressed_reason == "account_limit"
    april = schedule(world_a, contact, nps, send_after=late_march)
    run(world_a, now=dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.UTC))
    assert reload(world_a, april).status == "sent"


def _opted_out(world, contact):
    OptOut.objects.create(tenant=world.tenant, contact=contact, source=OptOut.Source.EMAIL)


def _no_email(world, contact):
    contact.email = ""
    contact.save()


def _ticket(status, merged=False):
    def setup(world, contact):
        ticket = make_ticket(world, "T-7")
        ticket.status = status
        if merged:
            ticket.merged_into = make_ticket(world, "T-8")
        ticket.save()
        return ticket
    return setup


def _inactive(world, contact):
    return "inactive"


def _campaign_paused(world, contact):
    return "paused"


@pytest.mark.parametrize(("setup", "reason"), [
    (_opted_out, SuppressionReason.OPTED_OUT),
    (_no_email, SuppressionReason.NO_EMAIL),
    (_ticket("open"), SuppressionReason.TICKET_REOPENED),
    (_ticket("closed", merged=True), SuppressionReason.TICKET_MERGED),
    (_inactive, SuppressionReason.SURVEY_INACTIVE),
    (_campaign_paused, SuppressionReason.CAMPAIGN_STOPPED),
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_suppression_reason_is_recorded(world_a, setup, reason):
    survey = make_survey(world_a, kind="csat")
    contact = world_a.contacts[0]
    with world_a.scope():
        made = setup(world_a, contact)
        extra = {}
        if isinstance(made, Ticket):
            extra["ticket"] = made
        if made == "inactive":
            survey.is_active = False
            survey.save()
        if made == "paused":
            extra["campaign"] = Campaign.objects.create(tenant=world_a.tenant, survey=survey, name="Q1",
                                                        status=Campaign.Status.PAUSED)
    invitation = schedule(world_a, contact, survey, **extra)
    result = run(world_a)
    invitation = reload(world_a, invitation)
    assert (invitation.status, invitation.suppressed_reason, invitation.suppressed_at) == ("suppressed", reason, NOW)
    assert invitation.token_hash is None and invitation.sent_at is None
    assert dict(result.suppressed) == {reason: 1}
    with world_a.scope():
        assert not OutboxMessage.objects.exists()


def test_a_resolved_ticket_is_surveyed(world_a):
    survey = make_survey(world_a, kind="csat")
    ticket = resolved_ticket(world_a, "T-7")
    invitation = schedule(world_a, world_a.contacts[0], survey, ticket=ticket)
    run(world_a)
    assert reload(world_a, invitation).status == "sent"


@pytest.mark.parametrize(("contact_language", "default", "texts", "expected", "question"), [
    ("tr", "en", ["en", "tr"], "tr", "Bizi önerir misiniz?"),
    ("", "tr", ["en", "tr"], "tr", "Bizi önerir misiniz?"),  # the tenant's default when the contact has none
    ("tr-TR", "en", ["en", "tr"], "tr", "Bizi önerir misiniz?"),  # the base language
    ("ta", "en", ["en", "tr"], "en", "Would you recommend us?"),  # the survey's default: no Tamil text
])
def test_the_language_is_the_contacts_else_the_tenants_as_the_texts_allow(world_a, mailoutbox, contact_language,
                                                                         default, texts, expected, question):
    words = {"en": "Would you recommend us?", "tr": "Bizi önerir misiniz?"}
    survey = make_survey(world_a, texts=[TextData(language=code, question=words[code]) for code in texts])
    set_policy(world_a, default_language=default)
    contact = world_a.contacts[0]
    with world_a.scope():
        contact.language = contact_language
        contact.save()
    invitation = schedule(world_a, contact, survey)
    run(world_a)
    assert reload(world_a, invitation).language == expected
    with world_a.scope():
        message = OutboxMessage.objects.get()
    assert question in message.body_text and question in message.body_html
    assert f'lang="{expected}"' in message.body_html


def test_the_limit_bounds_one_run_and_the_rest_waits(world_a):
    csat, _ = surveys(world_a)
    made = [schedule(world_a, c, csat) for c in world_a.contacts]
    assert run(world_a, limit=3).sent == 3
    assert sorted(reload(world_a, i).status for i in made) == ["scheduled", "sent", "sent", "sent"]
    assert run(world_a).sent == 1


def test_another_tenants_invitations_are_not_touched(worlds):
    a, b = worlds
    survey_b = make_survey(b, kind="csat")
    theirs = schedule(b, b.contacts[0], survey_b)
    make_survey(a, kind="csat")
    assert run(a).sent == 0
    assert reload(b, theirs).status == "scheduled"


def test_policy_for_creates_one_row_once(world_a):
    with world_a.scope():
        first = policy_for(tenant=world_a.tenant)
        assert policy_for(tenant=world_a.tenant).pk == first.pk
        assert (first.contact_cooldown_days, first.account_monthly_limit, first.expiry_days) == (30, 50, 28)


# --- concurrency: real transactions on separate connections -------------------------------------------


def _in_thread(target):
    errors = []

    def body():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 (re-raised in the test's thread)
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_a_second_run_while_the_first_decides_stops_and_changes_nothing(world_a):
    csat, _ = surveys(world_a)
    invitation = schedule(world_a, world_a.contacts[0], csat)
    holding, release = threading.Event(), threading.Event()

    def first_run_holding_the_lock():
        with tenant_scope(world_a.tenant), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SENDER_LOCK_CLASS, world_a.tenant.pk])
            holding.set()
            release.wait(10)

    thread, errors = _in_thread(first_run_holding_the_lock)
    assert holding.wait(10)
    try:
        result = run(world_a)
        assert (result.busy, result.sent) == (True, 0)
        assert reload(world_a, invitation).status == "scheduled"
    finally:
        release.set()
        thread.join(10)
    assert not errors
    assert run(world_a).sent == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_both_pass_the_budget_for_one_contact(world_a):
    csat, nps = surveys(world_a)
    contact = world_a.contacts[0]
    made = [schedule(world_a, contact, csat), schedule(world_a, contact, nps)]
    start = threading.Barrier(2)

    def one_run():
        start.wait(10)
        with tenant_scope(world_a.tenant):
            send_due_invitations(tenant=world_a.tenant, now=NOW, limit=1)

    runs = [_in_thread(one_run) for _ in range(2)]
    for thread, _ in runs:
        thread.join(20)
    assert not [e for _, errors in runs for e in errors]
    run(world_a)  # whatever a busy run left is decided now
    statuses = sorted(reload(world_a, i).status for i in made)
    assert statuses == ["sent", "suppressed"]
    with world_a.scope():
        assert OutboxMessage.objects.count() == 1
        assert Invitation.objects.filter(status="sent").count() == 1
