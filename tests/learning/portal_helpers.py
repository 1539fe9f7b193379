"""A published path with one step of each kind, enrollments, and signed-in learner clients, for the learner
portal's tests (tests/learning/test_portal.py, the e2e test, tests/objectworld.py)."""

from __future__ import annotations

from django.test import Client

from learning.links import issue_link, link_path
from learning.models import Enrollment, LinkPurpose, Step
from learning.paths.services import StepData
from learning.services import enroll
from tests.learning.helpers import published_path

QUIZ = {"questions": [
    {"text": "Which button saves a pipeline?", "choices": [
        {"text": "Save", "correct": True, "feedback": "Right: Save keeps your work."},
        {"text": "Delete", "correct": False, "feedback": "Delete removes the pipeline."}]},
    {"text": "Which are stages?", "multiple": True, "choices": [
        {"text": "Build", "correct": True}, {"text": "Test", "correct": True},
        {"text": "Lunch", "correct": False, "feedback": "Lunch is not a stage."}]}],
    "passing_score": 100, "max_attempts": 2}
RIGHT = {"q-0": "0", "q-1": ["0", "1"]}
WRONG = {"q-0": "1", "q-1": ["0", "2"]}


def portal_path(tenant, name="Pipeline basics", *, marker: str = "", article=None):
    """Lesson ``welcome``, quiz ``check``, product task ``first-pipeline`` (event pipeline.created with
    plan = pro) and, with ``article``, an optional article step ``read-more``."""
    steps = [StepData(kind="lesson", title="Welcome", key="welcome", body_markdown=f"# Hello {marker}\n\nRead me."),
             StepData(kind="quiz", title="Check", key="check", quiz=QUIZ),
             StepData(kind="product_task", title="Create your first pipeline", key="first-pipeline",
                      event_name="pipeline.created", event_match={"plan": "pro"})]
    if article is not None:
        steps.append(StepData(kind="article", title="Read more", key="read-more", article=article, is_required=False))
    return published_path(tenant, name, steps=steps)


def enrollment_of(world, path, contact) -> Enrollment:
    with world.scope():
        enroll(tenant=world.tenant, contact_ids=[contact.pk])
        return Enrollment.objects.get(contact=contact, path=path)


def step_of(enrollment: Enrollment, key: str) -> Step:
    return Step.objects.get(tenant=enrollment.tenant, version=enrollment.version, key=key)


def link_for(world, contact, purpose=LinkPurpose.INVITATION) -> str:
    with world.scope():
        return link_path(issue_link(tenant=world.tenant, contact=contact, purpose=purpose))


def learner_client(world, contact, client: Client | None = None) -> Client:
    """A client signed in as ``contact`` through the pages: a magic link, then "Continue"."""
    client = client or Client()
    response = client.post(link_for(world, contact))
    assert response.status_code == 303 and response["Location"] == "/learn/", response.status_code
    return client
