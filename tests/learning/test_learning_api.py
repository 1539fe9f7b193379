"""The learning API (API.md): GET /learning/paths, GET /contacts/{external_id}/enrollments and
POST /learning/completions (idempotent, bulk shape, bad input named, bounded, tenant-isolated)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, Step, StepProgress
from learning.paths.services import StepData, save_steps
from learning.services import enroll
from tests.factories import make_api_key
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db

PATHS = "/api/v1/learning/paths"
COMPLETIONS = "/api/v1/learning/completions"


def enrollments_url(external_id: str) -> str:
    return f"/api/v1/contacts/{external_id}/enrollments"


def post(world, body, raw_key=None):
    return world.api(raw_key).post(COMPLETIONS, data=json.dumps(body), content_type="application/json")


def two_step_path(world, name="Admin onboarding", **kwargs):
    with world.scope():
        return published_path(world.tenant, name, steps=[
            StepData(kind="lesson", title="Welcome", key="welcome"),
            StepData(kind="product_task", title="Create a pipeline", key="pipeline", event_name="pipeline.created",
                     event_match={"template": "blank"}, is_required=False),
            StepData(kind="lesson", title="Wrap up", key="wrap-up")], **kwargs)


def test_paths_list_published_and_unpublished_with_steps_targeting_and_prerequisites(
        world_a, django_assert_max_num_queries):
    first = two_step_path(world_a, targeting={"personas": ["Admin"], "tiers": ["premium"]})
    two_step_path(world_a, "Advanced", prerequisites=[first])
    with world_a.scope():
        from learning.paths.services import PathData, save_path

        save_path(tenant=world_a.tenant, path=None, data=PathData(name="Draft only"))
    with django_assert_max_num_queries(8):  # key, scope, paths, steps, rules, prerequisites: whatever the paths
        response = world_a.api().get(PATHS)
    assert response.status_code == 200
    rows = {r["slug"]: r for r in response.json()["results"]}
    assert set(rows) == {"admin-onboarding", "advanced", "draft-only"}
    onboarding = rows["admin-onboarding"]
    assert onboarding["version"] == 1 and onboarding["is_published"]
    assert [(s["key"], s["kind"], s["required"]) for s in onboarding["steps"]] == [
        ("welcome", "lesson", True), ("pipeline", "product_task", False), ("wrap-up", "lesson", True)]
    assert onboarding["targeting"] == {"personas": ["admin"], "knowledge_levels": [], "lifecycle_stages": [],
                                       "tiers": ["premium"], "plans": []}
    assert rows["advanced"]["prerequisites"] == ["admin-onboarding"]
    assert rows["draft-only"]["version"] is None and rows["draft-only"]["steps"] == []
    assert not rows["draft-only"]["is_published"]


def test_a_contacts_enrollments_with_progress_per_step(world_a, django_assert_max_num_queries):
    path = two_step_path(world_a)
    contact = world_a.contacts[0]
    with world_a.scope():
        enroll(tenant=world_a.tenant, contact_ids=[contact.pk])
        two_step_path(world_a, "Second")
        enroll(tenant=world_a.tenant, contact_ids=[contact.pk])
    done = timezone.now().replace(microsecond=0)
    assert post(world_a, [{"contact": "user-0", "path": path.slug, "step": "welcome", "completed_at": done.isoformat(),
                           "score": 90},
                          {"contact": "user-0", "path": path.slug, "step": "wrap-up",
                           "completed_at": done.isoformat()}]).json()["accepted"] == 2
    with django_assert_max_num_queries(9):
        response = world_a.api().get(enrollments_url("user-0"))
    assert response.status_code == 200
    rows = {r["path"]: r for r in response.json()["results"]}
    first = rows["admin-onboarding"]
    assert first["status"] == "completed" and first["version"] == 1
    assert first["certificate_url"].startswith("http://testserver/certificates/")
    assert [(p["key"], p["done_at"] is not None) for p in first["progress"]] == [
        ("welcome", True), ("pipeline", False), ("wrap-up", True)]
    assert first["progress"][0]["evidence"]["score"] == 90
    assert rows["second"]["status"] == "enrolled" and rows["second"]["certificate_url"] is None
    assert world_a.api().get(enrollments_url("nobody")).status_code == 404


def test_completing_a_path_enrolls_first_and_is_idempotent(world_a):
    path = two_step_path(world_a, targeting={"personas": ["nobody"]})  # nobody is enrolled by targeting
    at = (timezone.now() - dt.timedelta(days=3)).isoformat()
    body = {"contact": "user-1", "path": str(path.pk), "completed_at": at, "score": 75}
    first = post(world_a, body)
    assert first.status_code == 200, first.content
    again = post(world_a, body)
    assert first.json() == again.json()  # the same completion twice answers the same
    answer = first.json()
    assert answer["accepted"] == 1 and answer["rejected"] == [] and answer["duplicates"] == 0
    assert answer["completions"][0]["status"] == "completed"
    with world_a.scope():
        enrollment = Enrollment.objects.get(contact=world_a.contacts[1], path=path)
        assert enrollment.source == EnrollmentSource.EXTERNAL
        assert enrollment.status == EnrollmentStatus.COMPLETED
        assert enrollment.completed_at == dt.datetime.fromisoformat(at)
        assert enrollment.completion_evidence["score"] == 75
        assert Enrollment.objects.filter(contact=world_a.contacts[1]).count() == 1


def test_a_step_by_its_id_completes_the_same_key_in_the_learners_version(world_a):
    path = two_step_path(world_a)
    contact = world_a.contacts[0]
    with world_a.scope():
        enroll(tenant=world_a.tenant, contact_ids=[contact.pk])
        old_step = Step.objects.get(version=path.current_version, key="wrap-up")
        # Version 2 moves the steps; the learner stays on version 1.
        save_steps(tenant=world_a.tenant, path=path, steps=[StepData(kind="lesson", title="Wrap up", key="wrap-up")])
        from learning.paths.services import publish

        publish(tenant=world_a.tenant, path=path, by=None)
        new_step = Step.objects.get(version__number=2, version__path=path, key="wrap-up")
    response = post(world_a, {"contact": "user-0", "step": str(new_step.pk),
                              "completed_at": timezone.now().isoformat()})
    assert response.json()["accepted"] == 1, response.json()
    with world_a.scope():
        assert StepProgress.objects.get().step == old_step


def test_a_duplicate_in_the_batch_and_bad_items_are_reported_by_index_and_valid_ones_written(world_a):
    path = two_step_path(world_a)
    now = timezone.now()
    good = {"contact": "user-0", "path": path.slug, "step": "welcome", "completed_at": now.isoformat()}
    items = [
        good,
        good,  # a repeat inside the batch: a duplicate
        {"contact": "user-0", "path": path.slug, "completed_at": (now + dt.timedelta(days=1)).isoformat()},
        {"contact": "user-0", "path": path.slug, "step": "welcome", "completed_at": "2026-01-01T00:00:00"},
        {"contact": "user-0", "path": path.slug, "completed_at": "1999-12-31T00:00:00Z"},
        {"contact": "user-0", "completed_at": now.isoformat()},
        {"contact": "user-0", "step": "welcome", "completed_at": now.isoformat()},
        {"contact": "nobody", "path": path.slug, "completed_at": now.isoformat()},
        {"contact": "user-0", "path": "no-such-path", "completed_at": now.isoformat()},
        {"contact": "user-0", "path": path.slug, "step": "no-such-step", "completed_at": now.isoformat()},
        {"contact": "user-0", "path": path.slug, "completed_at": now.isoformat(), "score": 101},
        {"contact": "user-0", "path": path.slug, "completed_at": now.isoformat(), "colour": "red"},
        {"contact": "x" * 200, "path": path.slug, "completed_at": now.isoformat()},
        {"contact": "user-0", "step": "99999999999999999999999", "completed_at": now.isoformat()},
        "not an object",
    ]
    response = post(world_a, items)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["duplicates"] == 1
    fields = {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]}
    assert fields == {2: ["completed_at"], 3: ["completed_at"], 4: ["completed_at"], 5: ["path"], 6: ["step"],
                      7: ["contact"], 8: ["path"], 9: ["step"], 10: ["score"], 11: ["colour"], 12: ["contact"],
                      13: ["step"], 14: [None]}
    with world_a.scope():
        assert StepProgress.objects.count() == 1
        assert not Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED).exists()


def test_bodies_and_scopes(world_a):
    assert world_a.api().post(COMPLETIONS, data="{", content_type="application/json").status_code == 400
    too_many = [{"contact": "user-0", "path": "p", "completed_at": "2026-01-01T00:00:00Z"}] * 1001
    assert post(world_a, too_many).status_code == 413
    _, read_only = make_api_key(world_a.tenant, scopes=("read",), raw="csk_test_read_only_learning")
    assert post(world_a, [], raw_key=read_only).status_code == 403
    assert world_a.api(read_only).get(PATHS).status_code == 200
    assert world_a.api("csk_wrong").get(PATHS).status_code == 401


def test_another_tenants_paths_contacts_and_steps_are_not_there(worlds):
    world_a, world_b = worlds
    path = two_step_path(world_a)
    with world_a.scope():
        step = Step.objects.filter(version=path.current_version).first()
    assert world_b.api().get(PATHS).json()["results"] == []
    # The same slug and step id from the other tenant: not found, nothing written.
    now = timezone.now().isoformat()
    body = post(world_b, [{"contact": "user-0", "path": path.slug, "completed_at": now},
                          {"contact": "user-0", "step": str(step.pk), "completed_at": now}]).json()
    assert [r["errors"][0]["field"] for r in body["rejected"]] == ["path", "step"]
    with world_a.scope():
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
    assert world_b.api().get(enrollments_url("user-0")).json()["results"] == []
    with world_b.scope():
        assert not Enrollment.objects.exists()


def test_completions_cost_a_bounded_number_of_queries_per_item(world_a, django_assert_max_num_queries):
    path = two_step_path(world_a)
    now = timezone.now().isoformat()
    items = [{"contact": c.external_id, "path": path.slug, "step": "welcome", "completed_at": now}
             for c in world_a.contacts]
    with django_assert_max_num_queries(10 + 25 * len(items)):
        assert post(world_a, items).json()["accepted"] == len(items)


def test_a_withdrawn_enrollment_is_reopened_by_an_external_completion(world_a):
    path = two_step_path(world_a)
    with world_a.scope():
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[2].pk])
        Enrollment.objects.filter(path=path).update(status=EnrollmentStatus.WITHDRAWN, withdrawn_at=timezone.now())
    body = post(world_a, {"contact": "user-2", "path": path.slug, "step": "welcome",
                          "completed_at": timezone.now().isoformat()}).json()
    assert body["accepted"] == 1 and body["completions"][0]["status"] == "started"
    with world_a.scope():
        enrollment = Enrollment.objects.get(path=path, contact=world_a.contacts[2])
        assert enrollment.withdrawn_at is None and enrollment.source == EnrollmentSource.TARGETING
