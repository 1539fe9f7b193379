"""Authoring: paths, draft steps, sanitized lessons, quizzes, publish / unpublish, version pinning and
migrating learners."""

from __future__ import annotations

import pytest

from learning.models import Enrollment, LearningPath, PathVersion, Step, StepProgress, TargetingRule
from learning.paths.services import (
    LearningError,
    PathData,
    StepData,
    migrate_learners,
    publish,
    save_path,
    save_steps,
    unpublish,
)
from learning.quizzes import clean_quiz, score
from learning.services import enroll
from support.models import Article
from tests.learning.helpers import published_path

QUIZ = {"questions": [{"text": "2 + 2?", "choices": [{"text": "4", "correct": True, "feedback": "Yes"},
                                                     {"text": "5", "feedback": "No"}]},
                      {"text": "Primes?", "multiple": True,
                       "choices": [{"text": "2", "correct": True}, {"text": "3", "correct": True},
                                   {"text": "4"}]}],
        "passing_score": 50, "max_attempts": 3}


def test_a_lesson_is_sanitized_by_the_knowledge_base_renderer(world_a):
    with world_a.scope():
        path = save_path(tenant=world_a.tenant, path=None, data=PathData(name="Basics"))
        [step] = save_steps(tenant=world_a.tenant, path=path, steps=[StepData(
            kind="lesson", title="Intro", body_markdown="**Hi** <script>alert(1)</script>[x](javascript:alert(1))")])
    assert "<strong>Hi</strong>" in step.body_html
    assert "<script" not in step.body_html and "javascript:" not in step.body_html


def test_bad_steps_name_the_field_and_write_nothing(world_a):
    with world_a.scope():
        path = save_path(tenant=world_a.tenant, path=None, data=PathData(name="Basics"))
        save_steps(tenant=world_a.tenant, path=path, steps=[StepData(kind="lesson", title="Kept")])
        cases = [
            (StepData(kind="video", title="x"), "steps[1].kind"),
            (StepData(kind="lesson", title=""), "steps[1].title"),
            (StepData(kind="quiz", title="Q", quiz={"questions": []}), "steps[1].quiz"),
            (StepData(kind="article", title="A"), "steps[1].article"),
            (StepData(kind="product_task", title="T"), "steps[1].event_name"),
            (StepData(kind="product_task", title="T", event_name="e", event_match={"k": ["list"]}),
             "steps[1].event_match"),
        ]
        for bad, field in cases:
            with pytest.raises(LearningError) as err:
                save_steps(tenant=world_a.tenant, path=path, steps=[StepData(kind="lesson", title="ok"), bad])
            assert err.value.field == field
        assert list(Step.objects.filter(version__path=path).values_list("title", flat=True)) == ["Kept"]


def test_an_article_of_another_tenant_is_refused(worlds):
    a, b = worlds
    with b.scope():
        foreign = Article.objects.create(title="B's", slug="bs", body_markdown="b")
    with a.scope():
        path = save_path(tenant=a.tenant, path=None, data=PathData(name="Basics"))
        with pytest.raises(LearningError, match="article"):
            save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="article", title="A", article=foreign)])
        own = Article.objects.create(title="A's", slug="as", body_markdown="a")
        [step] = save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="article", title="A", article=own)])
    assert step.article_id == own.pk


def test_path_settings_are_validated(world_a):
    with world_a.scope():
        for data, field in [(PathData(name=""), "name"), (PathData(name="x", priority=5000), "priority"),
                            (PathData(name="x", targeting={"colour": ["red"]}), "targeting"),
                            (PathData(name="x", targeting={"personas": "admin"}), "personas")]:
            with pytest.raises(LearningError) as err:
                save_path(tenant=world_a.tenant, path=None, data=data)
            assert err.value.field == field
        assert not LearningPath.objects.exists()
        path = save_path(tenant=world_a.tenant, path=None,
                         data=PathData(name="x", targeting={"personas": ["Admin"], "tiers": ["premium"]}))
        rule = TargetingRule.objects.get(path=path)
    assert (rule.personas, rule.tiers, rule.plans) == (["admin"], ["premium"], [])


def test_prerequisites_refuse_self_and_cycles(world_a):
    with world_a.scope():
        first = save_path(tenant=world_a.tenant, path=None, data=PathData(name="First"))
        second = save_path(tenant=world_a.tenant, path=None, data=PathData(name="Second", prerequisites=[first]))
        with pytest.raises(LearningError, match="cycle"):
            save_path(tenant=world_a.tenant, path=first, data=PathData(name="First", prerequisites=[second]))
        with pytest.raises(LearningError, match="itself"):
            save_path(tenant=world_a.tenant, path=first, data=PathData(name="First", prerequisites=[first]))


def test_quiz_is_bounded_and_scored():
    quiz = clean_quiz(QUIZ)
    assert quiz["passing_score"] == 50 and quiz["max_attempts"] == 3
    assert score(quiz, [[0], [0, 1]]) == 100
    assert score(quiz, [[0], [0]]) == 50  # a multiple-choice question needs its whole set
    assert score(quiz, [[1], [0, 1, 2]]) == 0
    for bad in [{"questions": [{"text": "q", "choices": [{"text": "a", "correct": True}]}]},
                {"questions": [{"text": "q", "choices": [{"text": "a"}, {"text": "b"}]}]},
                {"questions": [{"text": "q", "choices": [{"text": "a", "correct": True},
                                                         {"text": "b", "correct": True}]}]},
                {**QUIZ, "passing_score": 101}, {**QUIZ, "max_attempts": True}]:
        with pytest.raises(ValueError):
            clean_quiz(bad)


def test_publish_freezes_a_version_and_learners_keep_theirs_until_migrated(world_a):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        empty = save_path(tenant=tenant, path=None, data=PathData(name="Empty"))
        with pytest.raises(LearningError, match="at least one step"):
            publish(tenant=tenant, path=empty, by=None)
        path = published_path(tenant, steps=[StepData(kind="lesson", title="One"),
                                             StepData(kind="quiz", title="Check", quiz=QUIZ)])
        v1 = path.current_version
        assert v1.number == 1 and v1.published_at is not None
        assert enroll(tenant=tenant, contact_ids=[contact.pk]) == 1
        enrollment = Enrollment.objects.get(contact=contact, path=path)
        first_step = Step.objects.get(version=v1, position=1)
        StepProgress.objects.create(enrollment=enrollment, step=first_step, done_at=v1.published_at)
        StepProgress.objects.create(enrollment=enrollment, step=Step.objects.get(version=v1, position=2),
                                    done_at=v1.published_at)

        # The author edits the draft: step 1 stays a lesson, step 2 becomes a product task.
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="lesson", title="One, revised"),
                                                    StepData(kind="product_task", title="Do", event_name="x")])
        assert list(Step.objects.filter(version=v1).values_list("title", flat=True)) == ["One", "Check"]
        v2 = publish(tenant=tenant, path=path, by=world_a.admin.user)
        assert v2.number == 2 and v2.published_by == world_a.admin.user
        enrollment.refresh_from_db()
        assert enrollment.version_id == v1.pk  # pinned

        assert migrate_learners(tenant=tenant, path=path) == 1
        assert migrate_learners(tenant=tenant, path=path) == 0
        enrollment.refresh_from_db()
        assert enrollment.version_id == v2.pk
        # Progress follows the step kept (same position and kind); the changed step is to be done again.
        assert list(StepProgress.objects.filter(enrollment=enrollment).values_list("step__title", flat=True)) == [
            "One, revised"]
        assert PathVersion.objects.filter(path=path, number__isnull=True).count() == 1  # the draft remains


def test_unpublish_stops_new_enrollments_but_keeps_learners(world_a):
    tenant, (c0, c1) = world_a.tenant, world_a.contacts[:2]
    with world_a.scope():
        path = published_path(tenant)
        assert enroll(tenant=tenant, contact_ids=[c0.pk]) == 1
        unpublish(tenant=tenant, path=path)
        assert enroll(tenant=tenant, contact_ids=[c1.pk]) == 0
        assert Enrollment.objects.filter(path=path).count() == 1
