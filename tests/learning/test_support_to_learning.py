"""Support to learning: a ticket whose sent knowledge-base articles a published path covers enrolls its contact
(``enroll``), recommends the path in the reply (``recommend``) or does nothing (``none``); only the current
version's article steps count; the support write never fails for it; the ticket page's panel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from learning.emails.services import send_invitations
from learning.models import Enrollment, EnrollmentStatus
from learning.paths.services import PathData, StepData, publish, save_path, save_steps
from learning.tickets import services as ticket_services
from support.knowledge import services as knowledge_services
from support.models import ArticleSuggestion, Interaction
from tests.support.knowledge.test_kb import add_articles, new_ticket

pytestmark = pytest.mark.django_db


def sending(world):
    world.tenant.settings = {"kb_suggest_threshold": 0.01, "kb_send_suggestions": True}
    world.tenant.save()


def covering_path(world, article, *, action, name="Password basics", publish_it=True):
    tenant = world.tenant
    with world.scope():
        path = save_path(tenant=tenant, path=None, data=PathData(name=name, support_action=action))
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="lesson", title="Intro", body_markdown="Hi"),
                                                     StepData(kind="article", title="Read", article=article)])
        if publish_it:
            publish(tenant=tenant, path=path, by=None)
        path.refresh_from_db()
    return path


def password_ticket(world, capture, contact=None):
    """A question the "Reset your password" article answers, qualified and sent; on-commit work run."""
    with world.scope(), capture(execute=True):
        ticket = new_ticket(world, "Forgot password", "reset my password", contact=contact)
        knowledge_services.qualify_ticket(ticket=ticket)
    return ticket


def reply(world, ticket) -> str:
    with world.scope():
        return Interaction.objects.get(ticket=ticket, author_type="bot").body


def reset_article(world):
    articles = add_articles(world)
    sending(world)
    return articles[0]  # "Reset your password"


def test_enroll_enrolls_the_tickets_contact_once_and_the_invitation_follows(
        world_a, django_capture_on_commit_callbacks):
    path = covering_path(world_a, reset_article(world_a), action="enroll")
    contact = world_a.contacts[0]
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks, contact)
    with world_a.scope():
        assert ArticleSuggestion.objects.filter(ticket=ticket, sent_to_customer_at__isnull=False).exists()
        (enrollment,) = Enrollment.objects.filter(path=path)
    assert (enrollment.contact_id, enrollment.source, enrollment.status, enrollment.version_id,
            enrollment.invited_at) == (contact.pk, "support", "enrolled", path.current_version_id, None)
    assert "Password basics" not in reply(world_a, ticket)  # enroll does not recommend
    # Another ticket on the same topic: never a second enrollment.
    password_ticket(world_a, django_capture_on_commit_callbacks, contact)
    with world_a.scope():
        assert Enrollment.objects.filter(path=path).count() == 1
        # The learning emails' next run invites the contact.
        assert send_invitations(tenant=world_a.tenant).emails == 1


def test_enroll_leaves_a_started_enrollment_and_brings_a_withdrawn_one_back(world_a,
                                                                            django_capture_on_commit_callbacks):
    path = covering_path(world_a, reset_article(world_a), action="enroll")
    started, withdrawn = world_a.contacts[:2]
    with world_a.scope():
        for contact, status in ((started, "started"), (withdrawn, "withdrawn")):
            Enrollment.objects.create(tenant=world_a.tenant, contact=contact, path=path,
                                      version_id=path.current_version_id, status=status,
                                      enrolled_at=path.created_at, source="targeting")
    password_ticket(world_a, django_capture_on_commit_callbacks, started)
    password_ticket(world_a, django_capture_on_commit_callbacks, withdrawn)
    with world_a.scope():
        rows = dict(Enrollment.objects.filter(path=path).values_list("contact_id", "status"))
        back = Enrollment.objects.get(path=path, contact=withdrawn)
    assert rows == {started.pk: "started", withdrawn.pk: "enrolled"}
    assert (back.source, back.withdrawn_at) == ("support", None)


def test_recommend_adds_the_path_and_the_sign_in_link_to_the_reply_not_a_magic_link(
        world_a, django_capture_on_commit_callbacks):
    covering_path(world_a, reset_article(world_a), action="recommend")
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)
    body = reply(world_a, ticket)
    assert "Learn more in our training “Password basics”: http://localhost:8000/learn/alpha/sign-in/" in body
    assert "/learn/link/" not in body  # the reply is kept in the conversation: no secret in it
    assert body.index("Reset your password") < body.index("Password basics") < body.index("If they do not")
    with world_a.scope():
        assert not Enrollment.objects.exists()


def test_none_does_nothing_and_nor_do_draft_or_unpublished_paths(world_a, django_capture_on_commit_callbacks):
    article = reset_article(world_a)
    covering_path(world_a, article, action="none", name="Quiet path")
    covering_path(world_a, article, action="enroll", name="Never published", publish_it=False)
    old = covering_path(world_a, article, action="recommend", name="Changed path")
    with world_a.scope():  # the draft drops the article step: the published version still has it until published
        save_steps(tenant=world_a.tenant, path=old, steps=[StepData(kind="lesson", title="Intro", body_markdown="x")])
        publish(tenant=world_a.tenant, path=old, by=None)
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)
    body = reply(world_a, ticket)
    assert "Learn more" not in body
    with world_a.scope():
        assert not Enrollment.objects.exists()


def test_a_failure_in_learning_never_fails_the_support_write(world_a, django_capture_on_commit_callbacks,
                                                             monkeypatch):
    covering_path(world_a, reset_article(world_a), action="recommend")

    def broken(**kwargs):
        raise RuntimeError("learning is down")

    monkeypatch.setattr("learning.tickets.services.covering_paths", broken)
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)
    body = reply(world_a, ticket)
    assert "Reset your password" in body and "Learn more" not in body
    with world_a.scope():
        assert ArticleSuggestion.objects.filter(ticket=ticket, sent_to_customer_at__isnull=False).exists()


def test_a_failing_enrollment_after_commit_is_logged_not_raised(world_a, django_capture_on_commit_callbacks,
                                                                monkeypatch, caplog):
    path = covering_path(world_a, reset_article(world_a), action="enroll")

    def broken(**kwargs):
        raise RuntimeError("enrollment failed")

    monkeypatch.setattr("learning.tickets.services.enroll_from_ticket", broken)
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)  # raises nothing: robust on-commit
    assert "Reset your password" in reply(world_a, ticket)
    assert "enrollment failed" in caplog.text
    with world_a.scope():
        assert not Enrollment.objects.filter(path=path).exists()


def test_another_tenants_path_on_a_look_alike_article_does_nothing(world_a, world_b,
                                                                  django_capture_on_commit_callbacks):
    reset_article(world_a)
    covering_path(world_b, reset_article(world_b), action="recommend")
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)
    assert "Learn more" not in reply(world_a, ticket)


def test_enroll_from_ticket_is_idempotent(world_a):
    path = covering_path(world_a, reset_article(world_a), action="enroll")
    with world_a.scope():
        args = {"tenant": world_a.tenant, "contact_id": world_a.contacts[0].pk, "path_ids": [path.pk]}
        assert ticket_services.enroll_from_ticket(**args) == 1
        assert ticket_services.enroll_from_ticket(**args) == 0
        assert Enrollment.objects.get().status == EnrollmentStatus.ENROLLED


# ------------------------------------------------------------------------------------- the ticket panel


def test_the_ticket_panel_shows_the_covering_paths_and_their_action(world_a, django_capture_on_commit_callbacks,
                                                                    django_assert_max_num_queries):
    article = reset_article(world_a)
    covering_path(world_a, article, action="enroll")
    covering_path(world_a, article, action="recommend", name="Security basics")
    ticket = password_ticket(world_a, django_capture_on_commit_callbacks)
    url = reverse("ticket-learning-paths", args=[world_a.tenant.slug, ticket.pk])
    client = world_a.client_for(world_a.viewer)
    with django_assert_max_num_queries(12):
        partial = client.get(url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and 'id="ticket-learning"' in body
    assert "Covered by path Password basics</strong> · Enroll the contact" in body
    assert "Covered by path Security basics</strong> · Recommend the path in the reply" in body
    assert "via Reset your password" in body and "articles sent to the customer" in body
    assert "contact enrolled" in body and "contact not enrolled" in body
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode() and "HX-Request" in page["Vary"]
    # The ticket page loads the panel.
    detail = world_a.client_for(world_a.admin).get(reverse("ticket-detail", args=[world_a.tenant.slug, ticket.pk]))
    assert url in detail.content.decode()


def test_the_ticket_panel_without_covering_paths(world_a):
    with world_a.scope():
        ticket = new_ticket(world_a, "Something else", "nothing in the help center")
    url = reverse("ticket-learning-paths", args=[world_a.tenant.slug, ticket.pk])
    body = world_a.client_for(world_a.csm).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "No published path covers this ticket's articles." in body
