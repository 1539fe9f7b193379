"""Authoring: paths, draft steps (whole, and one at a time for the steps editor), sanitized lessons that show
only the tenant's own lesson images, quizzes and their text form, publish / unpublish, version pinning and
migrating learners, lesson images."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from learning.models import Enrollment, LearningPath, LessonImage, PathVersion, Step, StepProgress, TargetingRule
from learning.paths.images import markdown_snippet, public_path
from learning.paths.quiz_text import QuizTextError, parse_quiz_text, quiz_text_of
from learning.paths.services import (
    LearningError,
    PathData,
    StepData,
    add_lesson_image,
    add_step,
    delete_step,
    migrate_learners,
    move_step,
    publish,
    replace_step,
    save_path,
    save_steps,
    step_data_of,
    unpublish,
)
from learning.quizzes import clean_quiz, score
from learning.services import enroll
from support.knowledge.services import render_markdown
from support.models import Article
from surveys.branding.images import ImageError
from tests.learning.helpers import published_path
from tests.surveys.images import png

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


# ------------------------------------------------------------------- the steps editor's one-step services


def _titles(world, path):
    return list(Step.objects.filter(version__path=path, version__number__isnull=True).order_by("position")
                .values_list("key", "title"))


def test_one_step_edits_keep_every_key_and_leave_published_versions_alone(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = published_path(tenant, steps=[StepData(kind="lesson", title="Welcome"),
                                             StepData(kind="quiz", title="Check", quiz=QUIZ)])
        v1 = list(Step.objects.filter(version=path.current_version).values_list("key", "title"))
        check = Step.objects.get(version__path=path, version__number__isnull=True, key="check")
        added = add_step(tenant=tenant, path=path, data=StepData(kind="product_task", title="Welcome",
                                                                 event_name="x"))
        assert added.key == "welcome-2" and added.position == 3  # a title alike gets a key of its own
        welcome = Step.objects.get(version__path=path, version__number__isnull=True, key="welcome")
        edited = replace_step(tenant=tenant, path=path, step=welcome,
                              data=StepData(kind="lesson", title="Hello", body_markdown="*hi*"))
        assert (edited.key, edited.title, edited.position, edited.body_html) == ("welcome", "Hello", 1,
                                                                                 "<p><em>hi</em></p>")
        draft = {s.key: s for s in Step.objects.filter(version__path=path, version__number__isnull=True)}
        move_step(tenant=tenant, path=path, step=draft["welcome"], offset=1)
        assert _titles(world_a, path) == [("check", "Check"), ("welcome", "Hello"), ("welcome-2", "Welcome")]
        draft = {s.key: s for s in Step.objects.filter(version__path=path, version__number__isnull=True)}
        move_step(tenant=tenant, path=path, step=draft["check"], offset=-1)  # already first: stays
        draft = {s.key: s for s in Step.objects.filter(version__path=path, version__number__isnull=True)}
        delete_step(tenant=tenant, path=path, step=draft["welcome-2"])
        assert _titles(world_a, path) == [("check", "Check"), ("welcome", "Hello")]
        with pytest.raises(LearningError) as err:  # a step of before the last save: its row is gone
            delete_step(tenant=tenant, path=path, step=check)
        assert err.value.field == "step"
        with pytest.raises(LearningError):
            move_step(tenant=tenant, path=path, step=draft["check"], offset=2)
        assert list(Step.objects.filter(version=path.current_version).values_list("key", "title")) == v1


def test_a_bad_replacement_writes_nothing(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        path = save_path(tenant=tenant, path=None, data=PathData(name="Basics"))
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="lesson", title="One"),
                                                    StepData(kind="lesson", title="Two")])
        before = list(Step.objects.filter(version__path=path).values_list("pk", "key", "title"))
        one = Step.objects.get(version__path=path, key="one")
        with pytest.raises(LearningError) as err:
            replace_step(tenant=tenant, path=path, step=one, data=StepData(kind="lesson", title="1", key="two"))
        assert err.value.field == "steps[0].key"
        with pytest.raises(LearningError) as err:
            replace_step(tenant=tenant, path=path, step=one, data=StepData(kind="quiz", title="Q", quiz={}))
        assert err.value.field == "steps[0].quiz"
        assert list(Step.objects.filter(version__path=path).values_list("pk", "key", "title")) == before


def test_step_data_of_saves_a_step_again_unchanged(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        article = Article.objects.create(title="A", slug="a", body_markdown="a")
        path = save_path(tenant=tenant, path=None, data=PathData(name="Basics"))
        steps = save_steps(tenant=tenant, path=path, steps=[
            StepData(kind="lesson", title="L", body_markdown="**x**", is_required=False),
            StepData(kind="quiz", title="Q", quiz=QUIZ), StepData(kind="article", title="A", article=article),
            StepData(kind="product_task", title="T", event_name="e", event_match={"k": "v"})])
        fields = ("key", "kind", "title", "is_required", "body_markdown", "body_html", "quiz", "article_id",
                  "event_name", "event_match")
        before = [[getattr(s, f) for f in fields] for s in steps]
        again = save_steps(tenant=tenant, path=path, steps=[step_data_of(s) for s in
                                                            Step.objects.filter(pk__in=[s.pk for s in steps])
                                                            .order_by("position")])
    assert [[getattr(s, f) for f in fields] for s in again] == before


def test_lessons_show_only_the_tenants_own_lesson_images(worlds):
    a, b = worlds
    with b.scope():
        b_path = save_path(tenant=b.tenant, path=None, data=PathData(name="B"))
        b_image = add_lesson_image(tenant=b.tenant, path=b_path, data=png(2, 2), by=None)
    with a.scope():
        path = save_path(tenant=a.tenant, path=None, data=PathData(name="Basics"))
        own = add_lesson_image(tenant=a.tenant, path=path, data=png(3, 3), by=None)
        own_url = public_path(tenant=a.tenant, image=own)
        foreign = [public_path(tenant=b.tenant, image=b_image), "https://tracker.example.com/pixel.png",
                   "//tracker.example.com/x.png", "javascript:alert(1)", "data:image/png;base64,AAAA",
                   own_url + "/../../../t/alpha/learning/", own_url + "?x=1", "/t/alpha/learning/"]
        body = f"![ours]({own_url})\n\n" + "\n\n".join(f"![bad{i}]({src})" for i, src in enumerate(foreign))
        [step] = save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="lesson", title="L", body_markdown=body)])
    assert f'<img alt="ours" src="{own_url}">' in step.body_html
    assert step.body_html.count("src=") == 1
    for i in range(len(foreign)):
        assert f'<img alt="bad{i}">' in step.body_html
    # The knowledge base itself keeps its rules: an article's image from another site stays.
    assert 'src="https://cdn.example.com/a.png"' in render_markdown("![a](https://cdn.example.com/a.png)")


def test_a_lesson_image_is_checked_and_stored_with_a_random_key(world_a):
    with world_a.scope():
        path = save_path(tenant=world_a.tenant, path=None, data=PathData(name="Basics"))
        with pytest.raises(ImageError):
            add_lesson_image(tenant=world_a.tenant, path=path, data=b"<svg/>", by=None)
        assert not LessonImage.objects.exists()
        first = add_lesson_image(tenant=world_a.tenant, path=path, data=png(5, 4), by=world_a.admin.user)
        second = add_lesson_image(tenant=world_a.tenant, path=path, data=png(5, 4), by=None)
    assert (first.width, first.height, first.content_type, first.uploaded_by) == (5, 4, "image/png",
                                                                                   world_a.admin.user)
    assert first.key != second.key and len(first.key) == 32 and first.digest == second.digest
    assert markdown_snippet(tenant=world_a.tenant, image=first, alt="a [tricky]\nalt") == (
        f"![a  tricky  alt]({public_path(tenant=world_a.tenant, image=first)})")


@pytest.mark.parametrize("bad", [{"content_type": "image/svg+xml"}, {"width": 0}, {"height": 2001},
                                 {"data": b"x" * (256 * 1024 + 1)}])
def test_the_database_refuses_a_lesson_image_the_upload_check_would_refuse(world_a, bad):
    with world_a.scope():
        path = save_path(tenant=world_a.tenant, path=None, data=PathData(name="Basics"))
        image = add_lesson_image(tenant=world_a.tenant, path=path, data=png(5, 4), by=None)
        for name, value in bad.items():
            setattr(image, name, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            image.save()


def test_quiz_text_round_trips_and_names_the_bad_line():
    text = "? 2 + 2?\n+ 4 | Yes\n- 5 | No\n\n?? Primes?\n+ 2\n+ 3\n- 4"
    questions = parse_quiz_text(text)
    assert questions == [
        {"text": "2 + 2?", "multiple": False, "choices": [{"text": "4", "correct": True, "feedback": "Yes"},
                                                          {"text": "5", "correct": False, "feedback": "No"}]},
        {"text": "Primes?", "multiple": True, "choices": [{"text": "2", "correct": True, "feedback": ""},
                                                          {"text": "3", "correct": True, "feedback": ""},
                                                          {"text": "4", "correct": False, "feedback": ""}]}]
    quiz = clean_quiz({"questions": questions})
    assert parse_quiz_text(quiz_text_of(quiz)) == questions
    for bad, line in (("+ orphan", "line 1"), ("? q\n+ a\nwhat", "line 3")):
        with pytest.raises(QuizTextError, match=line):
            parse_quiz_text(bad)
