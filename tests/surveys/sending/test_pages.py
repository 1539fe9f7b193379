"""Sending pages: the settings form (who changed it, bad input a 400 naming the field), the invitation list
with suppressed counts and filters, the outbox; permissions, htmx partials, bounded queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import OutboxMessage, SurveyPolicy
from surveys.sending.outbox import deliver_outbox
from surveys.sending.services import policy_for, send_due_invitations
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.helpers import make_survey
from tests.surveys.sending.helpers import NOW, schedule

SETTINGS = {"contact_cooldown_days": "14", "account_monthly_limit": "", "default_language": "tr", "expiry_days": "7",
            "csat_on_resolution": "on", "csat_skip_channels": ["phone", "chat"], "csat_skip_tags": "VIP, spam,vip",
            "csat_ask_again": "on"}


def url(world, name):
    return f"/t/{world.tenant.slug}/surveys/{name}/"


def test_settings_are_saved_with_who_changed_them(world_a):
    client = world_a.client_for(world_a.csm)
    page = client.get(url(world_a, "settings"))
    assert page.status_code == 200 and "never changed" in page.content.decode()
    response = client.post(url(world_a, "settings"), SETTINGS)
    assert response.status_code == 302, response.content.decode()[:2000]
    with world_a.scope():
        policy = SurveyPolicy.objects.get()
    assert (policy.contact_cooldown_days, policy.account_monthly_limit, policy.default_language, policy.expiry_days,
            policy.csat_on_resolution, policy.csat_skip_channels, policy.csat_skip_tags, policy.csat_skip_auto_resolved,
            policy.csat_ask_again, policy.updated_by) == (
        14, None, "tr", 7, True, ["phone", "chat"], ["vip", "spam"], False, True, world_a.csm.user)
    body = client.get(url(world_a, "settings")).content.decode()
    assert "Last changed by" in body and world_a.csm.user.username in body and 'value="vip, spam"' in body


def test_viewers_see_no_settings(world_a):
    viewer = world_a.client_for(world_a.viewer)
    assert viewer.get(url(world_a, "settings")).status_code == 403
    assert viewer.post(url(world_a, "settings"), SETTINGS).status_code == 403
    assert viewer.get(url(world_a, "invitations")).status_code == 200
    assert viewer.get(url(world_a, "outbox")).status_code == 200


@pytest.mark.parametrize(("over", "message"), [
    ({"contact_cooldown_days": "367"}, "less than or equal to 366"),
    ({"contact_cooldown_days": "-1"}, "greater than or equal to 0"),
    ({"account_monthly_limit": "99999999999"}, "less than or equal to 100000"),
    ({"expiry_days": "0"}, "greater than or equal to 1"),
    ({"default_language": "english"}, "a language code such as en"),
    ({"csat_skip_channels": ["fax"]}, "Select a valid choice"),
    ({"csat_skip_tags": ",".join(f"t{i}" for i in range(51))}, "Skip tags: at most 50 tags."),
    ({"csat_skip_tags": "x" * 65}, "Skip tags: a tag has at most 64 characters"),
    ({"default_language": "e\x00n"}, "Null characters are not allowed"),
])
def test_bad_settings_are_a_400_naming_the_field_and_change_nothing(world_a, over, message):
    response = world_a.client_for().post(url(world_a, "settings"), {**SETTINGS, **over})
    assert response.status_code == 400
    assert message in response.content.decode()
    with world_a.scope():
        policy = policy_for(tenant=world_a.tenant)
    assert (policy.contact_cooldown_days, policy.default_language, policy.updated_by_id) == (30, "en", None)


def _invitations(world, n):
    survey = make_survey(world, kind="nps", name=f"NPS {n}")
    with world.scope():
        for i in range(n):
            contact = ContactFactory(tenant=world.tenant, account=AccountFactory(tenant=world.tenant),
                                     email=f"p{n}-{i}@example.com" if i % 3 else "")
            schedule(world, contact, survey)
        send_due_invitations(tenant=world.tenant, now=NOW)
        deliver_outbox(tenant=world.tenant, now=NOW, limit=n // 2)


def test_invitation_list_counts_suppressed_by_reason_and_filters(world_a):
    _invitations(world_a, 6)  # contacts 0 and 3 have no email
    client = world_a.client_for(world_a.viewer)
    body = client.get(url(world_a, "invitations")).content.decode()
    assert "Contact has no email address" in body and "6 invitations" in body
    assert "Contact surveyed recently (fatigue budget)" in body  # every reason listed, with its definition
    only = client.get(url(world_a, "invitations") + "?status=suppressed&reason=no_email").content.decode()
    assert "2 invitations" in only
    bad = client.get(url(world_a, "invitations") + "?status=bogus").content.decode()
    assert "Filter “Status” ignored" in bad and "6 invitations" in bad
    partial = client.get(url(world_a, "invitations") + "?status=sent", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "4 invitations" in partial.content.decode()


def test_outbox_shows_status_and_never_the_body(world_a):
    _invitations(world_a, 6)
    client = world_a.client_for(world_a.viewer)
    body = client.get(url(world_a, "outbox")).content.decode()
    assert "4 messages" in body and "pending: 1" in body and "sent: 3" in body
    assert "/s/" not in body  # the links (tokens) of pending messages stay in the database
    with world_a.scope():
        pending = OutboxMessage.objects.get(status="pending")
    filtered = client.get(url(world_a, "outbox") + "?status=pending").content.decode()
    assert "1 message" in filtered and pending.to_email in filtered


def test_pages_queries_are_bounded(world_a):
    client = world_a.client_for()
    counts = []
    for n in (3, 40):
        _invitations(world_a, n)
        row = []
        for name in ("invitations", "outbox", "settings"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url(world_a, name)).status_code == 200
            row.append(len(ctx))
        counts.append(row)
    assert counts[0] == counts[1], counts
    assert max(counts[1]) <= 12, counts


def test_the_survey_list_links_the_sending_pages(world_a):
    body = world_a.client_for().get(f"/t/{world_a.tenant.slug}/surveys/").content.decode()
    for name in ("invitations", "outbox", "settings"):
        assert url(world_a, name) in body
    viewer = world_a.client_for(world_a.viewer).get(f"/t/{world_a.tenant.slug}/surveys/").content.decode()
    assert url(world_a, "settings") not in viewer


def test_a_person_sends_a_contact_a_survey_through_the_budget(world_a):
    from surveys.models import Invitation, OptOut

    survey = make_survey(world_a, kind="nps")
    contact, opted = world_a.contacts[0], world_a.contacts[1]
    with world_a.scope():
        OptOut.objects.create(tenant=world_a.tenant, contact=opted, source=OptOut.Source.STAFF)
    client = world_a.client_for(world_a.csm)
    page = client.get(f"/t/{world_a.tenant.slug}/contacts/{contact.pk}/").content.decode()
    invite_url = f"/t/{world_a.tenant.slug}/surveys/contacts/{contact.pk}/invite/"
    assert invite_url in page
    assert "Relationship NPS (NPS)" in client.get(invite_url).content.decode()
    response = client.post(invite_url, {"survey": survey.pk}, follow=True)
    assert "Survey scheduled" in response.content.decode()
    refused = client.post(f"/t/{world_a.tenant.slug}/surveys/contacts/{opted.pk}/invite/", {"survey": survey.pk},
                          follow=True)
    assert "Survey not sent: Contact opted out." in refused.content.decode()
    with world_a.scope():
        rows = list(Invitation.objects.order_by("id").values_list("contact_id", "status", "trigger", "created_by"))
    assert rows == [(contact.pk, "scheduled", "staff", world_a.csm.user.pk),
                    (opted.pk, "suppressed", "staff", world_a.csm.user.pk)]


def test_sending_a_survey_needs_the_manage_permission_and_a_valid_survey(world_a):
    from surveys.models import Invitation

    survey = make_survey(world_a, kind="nps")
    invite_url = f"/t/{world_a.tenant.slug}/surveys/contacts/{world_a.contacts[0].pk}/invite/"
    assert world_a.client_for(world_a.viewer).post(invite_url, {"survey": survey.pk}).status_code == 403
    for bad in ("", "abc", "999999", "1\x00"):
        response = world_a.client_for().post(invite_url, {"survey": bad})
        assert response.status_code == 400 and "survey" in response.content.decode().lower()
    with world_a.scope():
        survey.is_active = False
        survey.save()
    assert world_a.client_for().post(invite_url, {"survey": survey.pk}).status_code == 400  # inactive: not offered
    with world_a.scope():
        assert not Invitation.objects.exists()


def test_reading_or_refusing_the_settings_writes_nothing(world_a):
    client = world_a.client_for()
    assert client.get(url(world_a, "settings")).status_code == 200
    assert client.post(url(world_a, "settings"), {**SETTINGS, "expiry_days": "0"}).status_code == 400
    with world_a.scope():
        assert not SurveyPolicy.objects.exists()


def test_the_invite_page_queries_do_not_grow_with_surveys(world_a, django_assert_max_num_queries):
    client = world_a.client_for()
    invite_url = f"/t/{world_a.tenant.slug}/surveys/contacts/{world_a.contacts[0].pk}/invite/"
    for n in range(12):
        make_survey(world_a, kind="nps", name=f"Survey {n}")
    with django_assert_max_num_queries(10):
        assert "Survey 11" in client.get(invite_url).content.decode()
