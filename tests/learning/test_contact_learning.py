"""The contact page's learning panel: every step's state and evidence, enroll and withdraw by hand, and
targeting's re-evaluation leaving decisions made by hand alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, Step
from learning.paths.services import StepData
from learning.progress import complete_step
from learning.services import enroll, reevaluate
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db


def panel_url(world, contact):
    return reverse("learning-contact", args=[world.tenant.slug, contact.pk])


def test_panel_shows_each_step_with_its_evidence_in_bounded_queries(world_a, client, django_assert_max_num_queries):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        path = published_path(tenant, "Setup", steps=[
            StepData(kind="lesson", title="Read me"),
            StepData(kind="product_task", title="Make a pipeline", event_name="pipeline_created",
                     event_match={"plan": "pro"})])
        other = published_path(tenant, "Second")
        enroll(tenant=tenant, contact_ids=[contact.pk])
        enrollment = Enrollment.objects.get(contact=contact, path=path)
        complete_step(tenant=tenant, enrollment=enrollment, step=Step.objects.get(version=path.current_version,
                                                                                  key="read-me"),
                      evidence={"kind": "lesson"})
    client.force_login(world_a.viewer.user)
    with django_assert_max_num_queries(14):
        response = client.get(panel_url(world_a, contact), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Setup" in body and "Second" in body and "1 of 2 steps" in body
    assert "waiting for the event “pipeline_created” with plan = pro" in body
    assert "Withdraw" not in body  # a viewer reads only
    # The page without htmx is a whole page.
    assert "<html" in client.get(panel_url(world_a, contact)).content.decode()
    assert other  # both paths listed


def test_enroll_and_withdraw_by_hand_and_reevaluation_respects_them(world_a, client):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        admins = published_path(tenant, "Admins", targeting={"personas": ["admin"]})
        everyone = published_path(tenant, "Everyone")
        enroll(tenant=tenant, contact_ids=[contact.pk])
        on_everyone = Enrollment.objects.get(contact=contact, path=everyone)
    client.force_login(world_a.csm.user)
    url = reverse("learning-contact-enroll", args=[tenant.slug, contact.pk])
    assert client.post(url, {"path": "x"}, HTTP_HX_REQUEST="true").status_code == 400
    response = client.post(url, {"path": str(everyone.pk)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "path: already on this path" in response.content.decode()
    assert client.post(url, {"path": str(admins.pk)}).status_code == 302
    withdraw = reverse("learning-enrollment-withdraw", args=[tenant.slug, on_everyone.pk])
    assert client.post(withdraw, HTTP_HX_REQUEST="true").status_code == 200
    with world_a.scope():
        rows = {e.path_id: e for e in Enrollment.objects.filter(contact=contact)}
        assert rows[admins.pk].source == EnrollmentSource.MANUAL
        assert rows[admins.pk].status == EnrollmentStatus.ENROLLED
        assert rows[everyone.pk].status == EnrollmentStatus.WITHDRAWN
        # Targeting would withdraw the non-admin from "Admins" and re-enroll them in "Everyone": by hand wins.
        assert reevaluate(tenant=tenant, contact_ids=[contact.pk]) == {"enrolled": 0, "withdrawn": 0,
                                                                       "reenrolled": 0}
    # Enrolling by hand again brings the withdrawn row back (the same row).
    assert client.post(url, {"path": str(everyone.pk)}).status_code == 302
    with world_a.scope():
        assert Enrollment.objects.get(pk=on_everyone.pk).status == EnrollmentStatus.ENROLLED


def test_viewers_cannot_enroll_or_withdraw(world_a, client):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        path = published_path(tenant, "Everyone")
        enroll(tenant=tenant, contact_ids=[contact.pk])
        enrollment = Enrollment.objects.get(contact=contact, path=path)
    client.force_login(world_a.viewer.user)
    assert client.post(reverse("learning-contact-enroll", args=[tenant.slug, contact.pk]),
                       {"path": str(path.pk)}).status_code == 403
    assert client.post(reverse("learning-enrollment-withdraw", args=[tenant.slug, enrollment.pk])).status_code == 403
    with world_a.scope():
        assert Enrollment.objects.get(pk=enrollment.pk).status == EnrollmentStatus.ENROLLED
