"""Progress: steps done once, started/completed decided by the version's required steps, quiz attempts and
their limit, external path completion, prerequisites offered on completion, magic links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from learning.links import consume_link, issue_link, link_path, usable_link
from learning.models import Enrollment, EnrollmentStatus, LearnerLink, QuizAttempt, Step
from learning.paths.services import StepData
from learning.progress import ProgressError, complete_path, complete_step, submit_quiz
from learning.services import enroll, reevaluate
from tests.learning.helpers import published_path

QUIZ = {"questions": [
    {"text": "Pick two", "multiple": True, "choices": [
        {"text": "a", "correct": True, "feedback": "yes, a"}, {"text": "b", "correct": True},
        {"text": "c", "correct": False, "feedback": "not c"}]},
    {"text": "Pick one", "choices": [{"text": "x", "correct": True}, {"text": "y", "correct": False,
                                                                       "feedback": "y is wrong"}]}],
    "passing_score": 100, "max_attempts": 2}


def three_steps(tenant, name="Path", **kwargs):
    return published_path(tenant, name, steps=[
        StepData(kind="lesson", title="Read"),
        StepData(kind="quiz", title="Check", quiz=QUIZ),
        StepData(kind="lesson", title="Extra", is_required=False)], **kwargs)


def enrolled(world, path, contact=None):
    contact = contact or world.contacts[0]
    enroll(tenant=world.tenant, contact_ids=[contact.pk])
    return Enrollment.objects.get(contact=contact, path=path)


def step(path, key):
    return Step.objects.get(version=path.current_version, key=key)


def test_required_steps_decide_started_and_completed(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = three_steps(tenant)
        enrollment = enrolled(world_a, path)
        yesterday = timezone.now() - dt.timedelta(days=1)
        assert complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "read"), done_at=yesterday,
                             evidence={"kind": "lesson"})
        assert not complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "read"))  # once
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.STARTED and enrollment.started_at == yesterday
        assert enrollment.certificate_code == ""
        result = submit_quiz(tenant=tenant, enrollment=enrollment, step=step(path, "check"), answers=[[0, 1], [0]])
        assert result.passed and result.score == 100 and result.attempt == 1
        enrollment.refresh_from_db()
        # The optional "Extra" is not needed; completed at the last required step's time.
        assert enrollment.status == EnrollmentStatus.COMPLETED
        assert enrollment.completed_at == QuizAttempt.objects.get().created_at
        assert len(enrollment.certificate_code) == 22
        # Completion is final: the optional step afterwards changes neither time nor code.
        code = enrollment.certificate_code
        complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "extra"))
        enrollment.refresh_from_db()
        assert enrollment.certificate_code == code and enrollment.status == EnrollmentStatus.COMPLETED


def test_all_optional_steps_need_every_step(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = published_path(tenant, "Optional", steps=[StepData(kind="lesson", title="A", is_required=False),
                                                         StepData(kind="lesson", title="B", is_required=False)])
        enrollment = enrolled(world_a, path)
        complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "a"))
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.STARTED
        complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "b"))
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.COMPLETED


def test_quiz_feedback_attempt_limit_and_bad_answers(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = three_steps(tenant)
        enrollment = enrolled(world_a, path)
        quiz = step(path, "check")
        for bad, field in (([[0]], "answers"), ([[0], []], "answers[1]"), ([[0], [5]], "answers[1]"),
                           ([[0], [0, 1]], "answers[1]"), ([[0, 0], [0]], "answers[0]"), ("x", "answers"),
                           ([[True], [0]], "answers[0]")):
            with pytest.raises(ProgressError) as caught:
                submit_quiz(tenant=tenant, enrollment=enrollment, step=quiz, answers=bad)
            assert caught.value.field == field, bad
        assert QuizAttempt.objects.count() == 0  # refused input is not an attempt
        first = submit_quiz(tenant=tenant, enrollment=enrollment, step=quiz, answers=[[0, 2], [1]])
        assert (first.score, first.passed, first.attempts_left) == (0, False, 1)
        assert [q.correct for q in first.questions] == [False, False]
        assert first.questions[0].feedback == ("yes, a", "not c") and first.questions[1].feedback == ("y is wrong",)
        second = submit_quiz(tenant=tenant, enrollment=enrollment, step=quiz, answers=[[0, 1], [1]])
        assert (second.score, second.passed, second.attempts_left) == (50, False, 0)
        with pytest.raises(ProgressError, match="attempts are used"):
            submit_quiz(tenant=tenant, enrollment=enrollment, step=quiz, answers=[[0, 1], [0]])
        with pytest.raises(ProgressError, match="not a quiz"):
            submit_quiz(tenant=tenant, enrollment=enrollment, step=step(path, "read"), answers=[])
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ENROLLED  # failed attempts are not a step done


def test_progress_is_refused_on_another_version_or_a_withdrawn_enrollment(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = three_steps(tenant, targeting={"personas": ["admin"]})
        other = three_steps(tenant, "Other")
        contact = world_a.contacts[0]
        contact.persona = "admin"
        contact.save()
        enrollment = enrolled(world_a, path, contact)
        with pytest.raises(ProgressError) as caught:
            complete_step(tenant=tenant, enrollment=enrollment, step=step(other, "read"))
        assert caught.value.field == "step"
        contact.persona = "end_user"
        contact.save()
        assert reevaluate(tenant=tenant, contact_ids=[contact.pk])["withdrawn"] == 1
        with pytest.raises(ProgressError, match="withdrawn"):
            complete_step(tenant=tenant, enrollment=enrollment, step=step(path, "read"))


def test_completion_offers_the_path_it_unlocks_and_external_completion_is_idempotent(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        basics = three_steps(tenant, "Basics")
        advanced = published_path(tenant, "Advanced", prerequisites=[basics])
        enrollment = enrolled(world_a, basics)
        assert not Enrollment.objects.filter(path=advanced).exists()
        done = timezone.now() - dt.timedelta(days=3)
        assert complete_path(tenant=tenant, enrollment=enrollment, completed_at=done,
                             evidence={"source": "external", "score": 91})
        assert not complete_path(tenant=tenant, enrollment=enrollment, completed_at=timezone.now())
        enrollment.refresh_from_db()
        assert enrollment.completed_at == done and enrollment.completion_evidence["score"] == 91
        assert enrollment.certificate_code
        assert Enrollment.objects.filter(path=advanced, contact=enrollment.contact).exists()


def test_magic_link_is_single_use_expiring_and_hashed(world_a):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        token = issue_link(tenant=tenant, contact=contact, purpose="invitation")
        assert not LearnerLink.objects.filter(token_hash=token).exists()  # only the hash is stored
        assert link_path(token) == f"/learn/link/{token}/"
        expired_token = issue_link(tenant=tenant, contact=contact, purpose="sign_in",
                                   now=timezone.now() - dt.timedelta(minutes=31))
    # Outside any tenant scope, as the portal finds it.
    assert usable_link(token).contact_id == contact.pk  # looking does not spend
    link = consume_link(token)
    assert link.tenant_id == tenant.pk and link.contact_id == contact.pk
    assert consume_link(token) is None and usable_link(token) is None  # single use
    assert consume_link(expired_token) is None
    assert consume_link("not a token") is None and consume_link("A" * 22) is None
