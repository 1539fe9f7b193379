"""Learning emails: one invitation per contact listing its paths, reruns, language, opt-out and blank email,
reminders (after N days, at most K, N days apart, not for completed or withdrawn), the survey-budget decision,
the outbox rows with a working magic link, the advisory lock, the beat task, the settings page."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from cs_platform.beat_schedule import SCHEDULE
from learning.emails.models import LearningPolicy
from learning.emails.services import (
    EMAIL_LOCK_CLASS,
    policy_for,
    send_invitations,
    send_learning_emails,
    send_reminders,
)
from learning.emails.tasks import send_learning_emails_for_tenant
from learning.links import consume_link
from learning.models import Enrollment, EnrollmentStatus, LearnerLink
from learning.services import enroll
from surveys.models import Invitation, InvitationStatus, OptOut, OutboxMessage, Trigger
from surveys.sending.services import policy_for as survey_policy_for
from tests.conftest import build_world
from tests.learning.helpers import published_path
from tests.surveys.helpers import make_survey
from tests.test_celery_worker import real_worker

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def setup_paths(world, contacts=None):
    """Two paths for everyone, the contacts enrolled at NOW - 30 days (so that reminders are possible)."""
    tenant = world.tenant
    with world.scope():
        first = published_path(tenant, "Admin onboarding", priority=10)
        second = published_path(tenant, "Reporting basics", priority=20)
        ids = [c.pk for c in (contacts or world.contacts)]
        enroll(tenant=tenant, contact_ids=ids)
        Enrollment.objects.update(enrolled_at=NOW - 30 * DAY)
    return first, second


def outbox(world):
    with world.scope():
        return list(OutboxMessage.objects.order_by("to_email", "id"))


def token_of(body: str) -> str:
    return re.search(r"/learn/link/([A-Za-z0-9_-]{22})/", body).group(1)


def set_policy(world, **values):
    with world.scope():
        policy = policy_for(tenant=world.tenant)
        for name, value in values.items():
            setattr(policy, name, value)
        policy.save()


def invite(world, now=NOW):
    with world.scope():
        return send_invitations(tenant=world.tenant, now=now)


def remind(world, now):
    with world.scope():
        return send_reminders(tenant=world.tenant, now=now)


# --------------------------------------------------------------------------------------------- invitations


def test_one_invitation_per_contact_lists_its_paths_and_a_rerun_sends_nothing(world_a, django_assert_max_num_queries):
    setup_paths(world_a)
    # 17 for 4 contacts (the policies, then per chunk: lock, 2 selects, 3 writes); a query per contact exceeds it.
    with django_assert_max_num_queries(18):
        result = invite(world_a)
    assert (result.emails, result.enrollments, result.busy) == (4, 8, False)
    messages = outbox(world_a)
    assert sorted(m.to_email for m in messages) == sorted(c.email for c in world_a.contacts)
    for message in messages:
        assert message.invitation_id is None and message.status == "pending" and message.next_attempt_at == NOW
        assert message.subject == "Alpha Analytics: your training is ready"
        assert "Admin onboarding" in message.body_text and "Reporting basics" in message.body_text
        assert message.body_text.index("Admin onboarding") < message.body_text.index("Reporting basics")
        assert "http://" in message.body_html and "/learn/link/" in message.body_html
        assert "/learn/alpha/sign-in/" in message.body_text
    with world_a.scope():
        assert set(Enrollment.objects.values_list("invited_at", flat=True)) == {NOW}
        assert LearnerLink.objects.filter(purpose="invitation").count() == 4
    # A rerun (the next beat) sends nothing.
    assert invite(world_a, NOW + dt.timedelta(minutes=5)).emails == 0
    assert len(outbox(world_a)) == 4


def test_the_magic_link_in_the_email_signs_in_its_contact_once(world_a):
    setup_paths(world_a, contacts=world_a.contacts[:1])
    invite(world_a)
    (message,) = outbox(world_a)
    link = consume_link(token_of(message.body_text), now=NOW + dt.timedelta(minutes=1))
    assert link is not None and link.contact_id == world_a.contacts[0].pk and link.tenant_id == world_a.tenant.pk
    assert link.purpose == "invitation" and link.expires_at == NOW + 14 * DAY
    assert consume_link(token_of(message.body_text), now=NOW + dt.timedelta(minutes=2)) is None  # single use
    assert token_of(message.body_html) == token_of(message.body_text)


def test_a_later_enrollment_gets_its_own_invitation_listing_only_the_new_path(world_a):
    contact = world_a.contacts[0]
    setup_paths(world_a, contacts=[contact])
    invite(world_a)
    with world_a.scope():
        published_path(world_a.tenant, "Advanced dashboards")
        enroll(tenant=world_a.tenant, contact_ids=[contact.pk])
    assert invite(world_a, NOW + DAY).emails == 1
    latest = outbox(world_a)[-1]
    assert "Advanced dashboards" in latest.body_text and "Admin onboarding" not in latest.body_text


@pytest.mark.parametrize(("language", "subject", "phrase"), [
    ("tr", "Alpha Analytics: eğitiminiz hazır", "Öğrenmeye başlayın"),
    ("zh-Hans", "Alpha Analytics：您的培训已准备就绪", "开始学习"),
    ("zh-CN", "Alpha Analytics：您的培训已准备就绪", "开始学习"),
    ("ta", "Alpha Analytics: உங்கள் பயிற்சி தயாராக உள்ளது", "கற்கத் தொடங்குங்கள்"),
    ("pt-BR", "Alpha Analytics: your training is ready", "Start learning"),  # not shipped: English
])
def test_the_invitation_is_in_the_contacts_language(world_a, language, subject, phrase):
    contact = world_a.contacts[0]
    with world_a.scope():
        contact.language = language
        contact.save()
    setup_paths(world_a, contacts=[contact])
    invite(world_a)
    (message,) = outbox(world_a)
    assert message.subject == subject and phrase in message.body_text and phrase in message.body_html
    assert f'<html lang="{language}">' in message.body_html


def test_a_contact_without_a_language_gets_the_tenants_default(world_a):
    with world_a.scope():
        policy = survey_policy_for(tenant=world_a.tenant)
        policy.default_language = "tr"
        policy.save()
    setup_paths(world_a, contacts=world_a.contacts[:1])
    invite(world_a)
    assert outbox(world_a)[0].subject == "Alpha Analytics: eğitiminiz hazır"


def test_opted_out_and_blank_email_contacts_get_nothing_and_are_not_marked_invited(world_a):
    opted, blank, fine = world_a.contacts[:3]
    with world_a.scope():
        OptOut.objects.create(tenant=world_a.tenant, contact=opted, source="email")
        blank.email = ""
        blank.save()
    setup_paths(world_a, contacts=[opted, blank, fine])
    assert invite(world_a).emails == 1
    assert [m.to_email for m in outbox(world_a)] == [fine.email]
    with world_a.scope():
        invited = dict(Enrollment.objects.filter(path__name="Admin onboarding")
                       .values_list("contact_id", "invited_at"))
    assert invited == {opted.pk: None, blank.pk: None, fine.pk: NOW}
    # The contact who gets an address later is invited then.
    with world_a.scope():
        blank.email = "late@acme.example.com"
        blank.save()
    assert invite(world_a, NOW + DAY).emails == 1


def test_invitations_off_sends_nothing_and_chunks_cover_every_contact(world_a, monkeypatch):
    setup_paths(world_a)
    set_policy(world_a, invitations_enabled=False)
    assert invite(world_a).emails == 0 and outbox(world_a) == []
    set_policy(world_a, invitations_enabled=True)
    monkeypatch.setattr("learning.emails.services.CHUNK", 3)  # 4 contacts: two chunks, none skipped or repeated
    assert invite(world_a).emails == 4
    assert len({m.to_email for m in outbox(world_a)}) == 4


def test_withdrawn_completed_and_unpublished_are_not_invited(world_a):
    first, second = setup_paths(world_a, contacts=world_a.contacts[:2])
    with world_a.scope():
        Enrollment.objects.filter(contact=world_a.contacts[0], path=first).update(status="withdrawn")
        Enrollment.objects.filter(contact=world_a.contacts[0], path=second).update(status="completed")
        second.is_published = False
        second.save()
    invite(world_a)
    (message,) = outbox(world_a)
    assert message.to_email == world_a.contacts[1].email
    assert "Admin onboarding" in message.body_text and "Reporting basics" not in message.body_text


def test_a_second_run_while_the_first_holds_the_lock_stops_and_sends_nothing(world_a):
    setup_paths(world_a)
    # Another run (another connection) holds the tenant's lock: simulated in a thread's own connection.
    import threading

    holding, release = threading.Event(), threading.Event()

    def hold():
        from django.db import connections
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [EMAIL_LOCK_CLASS, world_a.tenant.pk])
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        result = invite(world_a)
        assert (result.busy, result.emails) == (True, 0)
        assert outbox(world_a) == []
    finally:
        release.set()
        thread.join()
    assert invite(world_a).emails == 4


# ---------------------------------------------------------------------------------------------- reminders


def test_reminders_after_n_days_at_most_k_n_days_apart(world_a, django_assert_max_num_queries):
    contact = world_a.contacts[0]
    setup_paths(world_a, contacts=[contact])
    set_policy(world_a, stalled_days=7, max_reminders=2)
    invite(world_a, now=NOW)
    assert remind(world_a, NOW + 6 * DAY).emails == 0  # invited 6 days ago: not stalled yet
    # 19 (the policies, then per chunk: lock, 2 selects, the survey budget's 3, progress' 2, 3 writes).
    with django_assert_max_num_queries(20):
        result = remind(world_a, NOW + 7 * DAY)
    assert (result.emails, result.enrollments) == (1, 2)
    reminder = outbox(world_a)[-1]
    assert reminder.subject == "Alpha Analytics: continue your training"
    assert "Admin onboarding (0 of 1 steps done)" in reminder.body_text
    link = consume_link(token_of(reminder.body_text), now=NOW + 7 * DAY)
    assert link is not None and link.purpose == "reminder" and link.contact_id == contact.pk
    with world_a.scope():
        assert set(Enrollment.objects.values_list("reminded_at", "reminders_sent")) == {(NOW + 7 * DAY, 1)}
    assert remind(world_a, NOW + 13 * DAY).emails == 0  # 6 days after the first reminder
    assert remind(world_a, NOW + 14 * DAY).emails == 1  # 7 days after it
    assert remind(world_a, NOW + 60 * DAY).emails == 0  # at most 2
    with world_a.scope():
        assert set(Enrollment.objects.values_list("reminders_sent", flat=True)) == {2}
    assert len(outbox(world_a)) == 3  # the invitation and two reminders


def test_recent_activity_postpones_the_reminder(world_a):
    contact = world_a.contacts[0]
    setup_paths(world_a, contacts=[contact])
    invite(world_a, now=NOW)
    with world_a.scope():
        Enrollment.objects.update(last_activity_at=NOW + 5 * DAY, status="started")
    assert remind(world_a, NOW + 8 * DAY).emails == 0
    assert remind(world_a, NOW + 12 * DAY).emails == 1


def test_no_reminder_for_completed_or_withdrawn_nor_before_the_invitation(world_a):
    first, second = setup_paths(world_a, contacts=world_a.contacts[:2])
    with world_a.scope():
        Enrollment.objects.filter(contact=world_a.contacts[0], path=first).update(status="completed")
        Enrollment.objects.filter(contact=world_a.contacts[0], path=second).update(status="withdrawn")
    # Not invited yet: no reminder (the invitation comes first).
    assert remind(world_a, NOW + 60 * DAY).emails == 0
    invite(world_a, now=NOW)
    result = remind(world_a, NOW + 60 * DAY)
    assert result.emails == 1 and outbox(world_a)[-1].to_email == world_a.contacts[1].email
    # With invitations off, an uninvited enrollment can be reminded (there will be no invitation).
    with world_a.scope():
        Enrollment.objects.filter(contact=world_a.contacts[1]).update(invited_at=None, reminded_at=None,
                                                                      reminders_sent=0)
    set_policy(world_a, invitations_enabled=False)
    assert remind(world_a, NOW + 60 * DAY).emails == 1


def test_reminders_off_or_zero_send_nothing(world_a):
    setup_paths(world_a)
    invite(world_a)
    set_policy(world_a, reminders_enabled=False)
    assert remind(world_a, NOW + 30 * DAY).emails == 0
    set_policy(world_a, reminders_enabled=True, max_reminders=0)
    assert remind(world_a, NOW + 30 * DAY).emails == 0


def _survey_sent(world, contact, at):
    survey = make_survey(world, kind="csat", name="CSAT")
    with world.scope():
        Invitation.objects.create(tenant=world.tenant, survey=survey, contact=contact, account=contact.account,
                                  trigger=Trigger.API, send_after=at, status=InvitationStatus.SENT, sent_at=at,
                                  expires_at=at + 28 * DAY)


def test_a_reminder_waits_for_the_survey_cooldown_and_is_not_counted_as_sent(world_a):
    held, free = world_a.contacts[:2]
    setup_paths(world_a, contacts=[held, free])
    invite(world_a, now=NOW)
    _survey_sent(world_a, held, NOW + 5 * DAY)  # the survey cooldown (30 days) runs to NOW + 35 days
    result = remind(world_a, NOW + 10 * DAY)
    assert (result.emails, dict(result.held)) == (1, {"contact_cooldown": 1})
    assert outbox(world_a)[-1].to_email == free.email
    with world_a.scope():
        assert set(Enrollment.objects.filter(contact=held).values_list("reminded_at", "reminders_sent")) == {(None, 0)}
    # A reminder does not spend the survey budget: the held contact's next survey is not blocked by it, and
    # the free contact's reminder does not count as a survey sent.
    with world_a.scope():
        assert Invitation.objects.filter(contact=free).count() == 0
    # After the cooldown the held reminder goes out.
    assert remind(world_a, NOW + 36 * DAY).emails == 2  # the held one, and the free one's second
    with world_a.scope():
        assert Enrollment.objects.filter(contact=held, reminders_sent=1).count() == 2


def test_the_account_monthly_limit_holds_reminders_and_the_policy_can_ignore_the_budget(world_a):
    contact = world_a.contacts[0]
    setup_paths(world_a, contacts=[contact])
    invite(world_a, now=NOW)
    with world_a.scope():
        policy = survey_policy_for(tenant=world_a.tenant)
        policy.account_monthly_limit = 0  # nothing may be sent to the account's contacts
        policy.save()
    assert dict(remind(world_a, NOW + 10 * DAY).held) == {"account_limit": 1}
    set_policy(world_a, reminders_use_survey_budget=False)
    assert remind(world_a, NOW + 10 * DAY).emails == 1


def test_opted_out_contacts_get_no_reminder(world_a):
    contact = world_a.contacts[0]
    setup_paths(world_a, contacts=[contact])
    invite(world_a, now=NOW)
    with world_a.scope():
        OptOut.objects.create(tenant=world_a.tenant, contact=contact, source="page")
    result = remind(world_a, NOW + 10 * DAY)
    assert (result.emails, dict(result.held)) == (0, {})


# ---------------------------------------------------------------------------------------- the beat task


def test_the_beat_runs_every_few_minutes_and_the_task_queues_and_delivers(world_a, world_b, mailoutbox):
    assert SCHEDULE["send-learning-emails"]["task"] == "learning.emails.tasks.send_learning_emails_all_tenants"
    setup_paths(world_a, contacts=world_a.contacts[:2])
    setup_paths(world_b, contacts=world_b.contacts[:1])
    answer = send_learning_emails_for_tenant(world_a.tenant.pk)
    assert (answer["invitations"], answer["delivered"], answer["busy"]) == (2, 2, False)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(c.email for c in world_a.contacts[:2])
    assert "Alpha Analytics" in mailoutbox[0].from_email
    # The delivered body is blanked in the outbox (it held the token); tenant B's contact was not emailed.
    assert {m.body_text for m in outbox(world_a)} == {""}
    assert outbox(world_b) == []
    with world_a.scope():
        assert send_learning_emails(tenant=world_a.tenant)["invitations"] == 0


# ------------------------------------------------------------------------------------- the settings page


def test_settings_page_saves_and_names_the_bad_field(world_a, django_assert_max_num_queries):
    url = reverse("learning-settings", args=[world_a.tenant.slug])
    client = world_a.client_for(world_a.csm)
    with django_assert_max_num_queries(10):
        page = client.get(url)
    assert page.status_code == 200 and "The defaults, never changed." in page.content.decode()
    good = {"invitations_enabled": "on", "stalled_days": "10", "max_reminders": "4"}
    for field, value in (("stalled_days", "0"), ("stalled_days", "366"), ("max_reminders", "11"),
                         ("max_reminders", "-1"), ("stalled_days", "x" * 50)):
        response = client.post(url, {**good, field: value})
        assert response.status_code == 400, (field, value)
        errors = re.findall(r'class="field has-error">\s*<label for="id_(\w+)"', response.content.decode())
        assert errors == [field], (field, value)
    with world_a.scope():
        assert not LearningPolicy.objects.exists()  # nothing half-written
    assert client.post(url, good).status_code == 302
    with world_a.scope():
        policy = LearningPolicy.objects.get()
    assert (policy.invitations_enabled, policy.reminders_enabled, policy.stalled_days, policy.max_reminders,
            policy.reminders_use_survey_budget, policy.updated_by_id) == (True, False, 10, 4, False,
                                                                            world_a.csm.user_id)
    assert "Last changed by" in client.get(url).content.decode()


def test_settings_page_is_for_the_roles_that_manage_learning(world_a):
    url = reverse("learning-settings", args=[world_a.tenant.slug])
    assert world_a.client_for(world_a.viewer).get(url).status_code == 403
    assert world_a.client_for(world_a.admin).get(url).status_code == 200


def test_enrollment_status_values_are_the_models(world_a):
    # The senders select by these: a renamed status would silently email nobody.
    assert {EnrollmentStatus.ENROLLED, EnrollmentStatus.STARTED} <= set(EnrollmentStatus.values)


# ------------------------------------------------------------------------------------- a real Celery worker


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_tenants_learning_emails_from_the_broker():
    """The task as the beat's fan-out enqueues it, taken from the real broker by a worker in its own process
    (tests/test_celery_worker.py's harness): the invitation is queued and delivered, in the tenant's scope."""
    world, other = build_world("alpha", "Alpha Analytics"), build_world("bravo", "Bravo Billing")
    setup_paths(world, contacts=world.contacts[:1])
    setup_paths(other, contacts=other.contacts[:1])
    with real_worker() as (worker, queue, read_log):
        send_learning_emails_for_tenant.apply_async(args=[world.tenant.pk], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if [m.status for m in outbox(world)] == ["sent"]:
                break
            time.sleep(0.5)
        assert [m.status for m in outbox(world)] == ["sent"], read_log()
        with world.scope():
            assert Enrollment.objects.filter(invited_at__isnull=False).count() == 2
        assert outbox(other) == []  # the other tenant's contact: not this task's
        with other.scope():
            assert not Enrollment.objects.filter(invited_at__isnull=False).exists()
