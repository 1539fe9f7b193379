"""The authoring pages (learning.paths.views): a manager builds a path with a step of each kind, publishes,
edits, publishes v2 and migrates a learner whose progress follows the edited step by key; every page renders
with a bounded number of queries; agents and viewers read but cannot write; bad input names its field and
writes nothing; lesson images are checked, served publicly by tenant + id + key, and the only images a
lesson may show."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from learning.models import Enrollment, LearningPath, LessonImage, PathVersion, Step, StepProgress
from learning.paths.services import PathData, StepData, publish, save_path, save_steps
from learning.services import enroll
from support.knowledge.services import save_article
from support.models import Article
from tests.factories import MembershipFactory, UserFactory
from tests.surveys.images import SVG, png

pytestmark = pytest.mark.django_db


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


@pytest.fixture
def manager(world_a):
    with world_a.scope():
        return MembershipFactory(tenant=world_a.tenant, user=UserFactory(username="manager@alpha.test"),
                                 role=Role.MANAGER)


@pytest.fixture
def agent(world_a):
    with world_a.scope():
        return MembershipFactory(tenant=world_a.tenant, user=UserFactory(username="agent@alpha.test"), role=Role.AGENT)


def make_article(world, title="Connect a source"):
    with world.scope():
        return save_article(tenant=world.tenant, article=Article(tenant=world.tenant, title=title,
                                                                 body_markdown="How to", is_published=True))


def draft(world, path):
    with world.scope():
        return list(Step.objects.filter(version__path=path, version__number__isnull=True).order_by("position"))


def path_of(world, name):
    with world.scope():
        return LearningPath.objects.select_related("current_version").get(name=name)


QUIZ_TEXT = """? What runs a pipeline?
+ A schedule | Right.
- A spreadsheet | No: spreadsheets are imported.
?? Which are sources?
+ Postgres
+ S3
- Slack | A destination."""


def test_a_manager_builds_publishes_edits_and_migrates_a_path(world_a, manager):
    a = world_a
    client = a.client_for(manager)
    article = make_article(a)
    response = client.post(url(a, "learning-path-create"), {
        "name": "Admin onboarding", "priority": "10", "support_action": "enroll", "personas": "Admin, admin ",
        "knowledge_levels": ["beginner"], "lifecycle_stages": ["onboarding", "adoption"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    path = path_of(a, "Admin onboarding")
    assert response["Location"] == url(a, "learning-path-detail", path.pk)
    with a.scope():
        rule = path.targeting_rules.get()
    assert (rule.personas, rule.knowledge_levels, rule.lifecycle_stages) == (["admin"], ["beginner"],
                                                                             ["onboarding", "adoption"])
    # An image first, so the lesson can embed it.
    response = client.post(url(a, "learning-image-upload", path.pk),
                           {"image": SimpleUploadedFile("shot.png", png(20, 10), content_type="image/png")})
    assert response.status_code == 302
    with a.scope():
        image = LessonImage.objects.get(path=path)
    detail = client.get(url(a, "learning-path-detail", path.pk)).content.decode()
    snippet = re.search(r"!\[describe the image\]\((/lesson-images/[^)]+)\)", detail)
    assert snippet and snippet.group(1) == reverse("lesson-image-file", args=[a.tenant.slug, image.pk, image.key])

    steps = [
        ("lesson", {"title": "Welcome", "is_required": "on",
                    "body_markdown": f"# Hello\n\n![the pipeline list]({snippet.group(1)})"}),
        ("quiz", {"title": "Check", "is_required": "on", "questions": QUIZ_TEXT, "passing_score": "50",
                  "max_attempts": "3"}),
        ("article", {"title": "Read about sources", "article": str(article.pk)}),
        ("product_task", {"title": "Create your first pipeline", "is_required": "on", "event_name": "pipeline.created",
                          "event_match": "source = postgres\nplan=pro\n"}),
    ]
    for kind, data in steps:
        response = client.post(url(a, "learning-step-create", path.pk) + f"?kind={kind}", data)
        assert response.status_code == 302, (kind, response.content.decode()[:3000])
    lesson, quiz, read, task = draft(a, path)
    assert [s.kind for s in (lesson, quiz, read, task)] == ["lesson", "quiz", "article", "product_task"]
    assert f'src="{snippet.group(1)}"' in lesson.body_html and 'alt="the pipeline list"' in lesson.body_html
    assert quiz.quiz["passing_score"] == 50 and quiz.quiz["max_attempts"] == 3
    assert [c["correct"] for c in quiz.quiz["questions"][1]["choices"]] == [True, True, False]
    assert quiz.quiz["questions"][0]["choices"][1]["feedback"] == "No: spreadsheets are imported."
    assert read.article_id == article.pk and not read.is_required
    assert task.event_name == "pipeline.created" and task.event_match == {"source": "postgres", "plan": "pro"}

    confirm = client.get(url(a, "learning-path-publish", path.pk)).content.decode()
    assert "version 1" in confirm and "4 step(s)" in confirm
    assert client.post(url(a, "learning-path-publish", path.pk)).status_code == 302
    path = path_of(a, "Admin onboarding")
    assert path.is_published and path.current_version.number == 1

    # A learner on v1, with the lesson done.
    with a.scope():
        contact = a.contacts[0]
        type(contact).objects.filter(pk=contact.pk).update(persona="Admin", knowledge_level="beginner")
        assert enroll(tenant=a.tenant, contact_ids=[contact.pk]) == 1
        enrollment = Enrollment.objects.get(contact=contact, path=path)
        v1_lesson = Step.objects.get(version=path.current_version, key=lesson.key)
        StepProgress.objects.create(tenant=a.tenant, enrollment=enrollment, step=v1_lesson, done_at=timezone.now())

    # Edit: rename the lesson (its key stays) and move it below the quiz; delete the article step.
    response = client.post(url(a, "learning-step-edit", path.pk, lesson.pk), {
        "title": "Welcome aboard", "is_required": "on", "body_markdown": "# Hello again"})
    assert response.status_code == 302
    lesson = draft(a, path)[0]
    assert (lesson.title, lesson.key) == ("Welcome aboard", "welcome")
    assert client.post(url(a, "learning-step-move", path.pk, lesson.pk), {"direction": "down"}).status_code == 302
    read = next(s for s in draft(a, path) if s.kind == "article")
    assert client.post(url(a, "learning-step-delete", path.pk, read.pk)).status_code == 302
    assert [(s.key, s.title) for s in draft(a, path)] == [
        ("check", "Check"), ("welcome", "Welcome aboard"), ("create-your-first-pipeline", "Create your first pipeline")]

    confirm = client.get(url(a, "learning-path-publish", path.pk)).content.decode()
    assert "version 2" in confirm and "<strong>1</strong> enrolled learner(s) in progress" in confirm
    assert client.post(url(a, "learning-path-publish", path.pk)).status_code == 302
    path = path_of(a, "Admin onboarding")
    assert path.current_version.number == 2
    with a.scope():
        assert Enrollment.objects.get(pk=enrollment.pk).version.number == 1  # pinned until migrated
    detail = client.get(url(a, "learning-path-detail", path.pk)).content.decode()
    assert "Migrate learners to v2" in detail
    migrate_page = client.get(url(a, "learning-path-migrate", path.pk)).content.decode()
    assert "<strong>1</strong> learner(s) will move" in migrate_page
    assert client.post(url(a, "learning-path-migrate", path.pk)).status_code == 302
    with a.scope():
        enrollment.refresh_from_db()
        assert enrollment.version_id == path.current_version_id
        progress = StepProgress.objects.select_related("step").get(enrollment=enrollment)
        assert (progress.step.version_id, progress.step.key, progress.step.title, progress.step.position) == (
            path.current_version_id, "welcome", "Welcome aboard", 2)
    assert "Migrate learners to v2" not in client.get(url(a, "learning-path-detail", path.pk)).content.decode()

    # The versions list: numbers, steps and learners of each.
    versions = client.get(url(a, "learning-path-detail", path.pk)).content.decode()
    table = versions[versions.index('id="versions"'):]
    rows = re.findall(r"<tr>\s*<td>v(\d)(.*?)</tr>", table, re.S)
    counts = [(n, re.findall(r'<td class="num">(\d+)</td>', body)) for n, body in rows]
    assert counts == [("2", ["3", "1", "1"]), ("1", ["4", "0", "0"])]
    assert client.post(url(a, "learning-path-unpublish", path.pk)).status_code == 302
    assert not path_of(a, "Admin onboarding").is_published
    assert "unpublished" in client.get(url(a, "learning-path-list")).content.decode()


def test_the_preview_shows_what_a_learner_sees_and_no_answer(world_a):
    a = world_a
    article = make_article(a, "Sources explained")
    with a.scope():
        path = save_path(tenant=a.tenant, path=None, data=PathData(name="Basics"))
        save_steps(tenant=a.tenant, path=path, steps=[
            StepData(kind="lesson", title="Intro", body_markdown="**Bold** text"),
            StepData(kind="quiz", title="Quiz", quiz={"questions": [{"text": "Pick", "choices": [
                {"text": "Right one", "correct": True, "feedback": "SECRET-FEEDBACK"}, {"text": "Wrong one"}]}]}),
            StepData(kind="article", title="Read", article=article),
            StepData(kind="product_task", title="Create a pipeline", event_name="pipeline.created")])
        v1 = publish(tenant=a.tenant, path=path, by=None)
        save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="lesson", title="Only in the draft")])
    client = a.client_for(a.viewer)
    page = client.get(url(a, "learning-path-preview", path.pk)).content.decode()
    assert "Only in the draft" in page and "Intro" not in page
    page = client.get(url(a, "learning-version-preview", path.pk, v1.pk)).content.decode()
    assert "<strong>Bold</strong>" in page and "Right one" in page and "Wrong one" in page
    assert "SECRET-FEEDBACK" not in page and "correct" not in page.lower().split("</nav>")[-1]
    assert reverse("helpcenter-article", args=[a.tenant.slug, article.slug]) in page
    assert "Do this in the product: <strong>Create a pipeline</strong>" in page
    assert "<script" not in page.split("</head>")[-1]


def _paths(world, n):
    with world.scope():
        for i in range(n):
            path = save_path(tenant=world.tenant, path=None, data=PathData(
                name=f"Path {i}", targeting={"personas": ["admin"], "tiers": ["premium"]}))
            save_steps(tenant=world.tenant, path=path, steps=[StepData(kind="lesson", title=f"L{j}") for j in range(3)])
            publish(tenant=world.tenant, path=path, by=None)
        enroll(tenant=world.tenant, contact_ids=[c.pk for c in world.contacts])


@pytest.mark.parametrize("n", [1, 6])
def test_every_page_renders_with_bounded_queries(world_a, django_assert_max_num_queries, n):
    a = world_a
    _paths(a, n)
    path = path_of(a, "Path 0")
    with a.scope():
        version = PathVersion.objects.get(path=path, number=1)
        save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="lesson", title=f"L{j}") for j in range(8)])
        LessonImage.objects.bulk_create([LessonImage(
            tenant=a.tenant, path=path, content_type="image/png", data=png(2, 2), size=10, width=2, height=2,
            digest="d", key=f"{i:032x}", uploaded_at=timezone.now()) for i in range(n)])
    step = draft(a, path)[0]
    client = a.client_for(a.admin)
    pages = [url(a, "learning-path-list"), url(a, "learning-path-create"), url(a, "learning-path-detail", path.pk),
             url(a, "learning-path-edit", path.pk), url(a, "learning-step-edit", path.pk, step.pk),
             url(a, "learning-path-publish", path.pk), url(a, "learning-path-migrate", path.pk),
             url(a, "learning-path-preview", path.pk), url(a, "learning-version-preview", path.pk, version.pk),
             *(url(a, "learning-step-create", path.pk) + f"?kind={k}"
               for k in ("lesson", "quiz", "article", "product_task"))]
    for page in pages:
        with django_assert_max_num_queries(16):
            response = client.get(page)
        assert response.status_code == 200, page
    assert client.get(url(a, "learning-path-list")).content.decode().count("personas: admin · tiers: premium") == n


def test_the_list_shows_status_and_enrolled_counts(world_a):
    a = world_a
    _paths(a, 2)
    with a.scope():
        save_path(tenant=a.tenant, path=None, data=PathData(name="Never published"))
        type(a.contacts[0]).objects.filter(pk__in=[c.pk for c in a.contacts]).update(persona="admin")
        from accounts.models import CustomerAccount
        CustomerAccount.objects.filter(tenant=a.tenant).update(tier="premium")
        enroll(tenant=a.tenant, contact_ids=[c.pk for c in a.contacts])
    page = a.client_for(a.viewer).get(url(a, "learning-path-list")).content.decode()
    rows = {name: body for name, body in re.findall(r'>(Path \d|Never published)</a></td>(.*?)</tr>', page, re.S)}
    assert "published v1" in rows["Path 0"] and "draft" in rows["Never published"]
    assert re.findall(r'<td class="num">(\d+)</td>', rows["Path 1"]) == ["100", "4"]
    assert re.findall(r'<td class="num">(\d+)</td>', rows["Never published"]) == ["100", "0"]
    assert "New path" not in page  # a viewer reads only


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_read_but_cannot_write(world_a, agent, role):
    a = world_a
    member = agent if role == "agent" else a.viewer
    _paths(a, 1)
    path = path_of(a, "Path 0")
    step = draft(a, path)[0]
    client = a.client_for(member)
    assert client.get(url(a, "learning-path-list")).status_code == 200
    assert client.get(url(a, "learning-path-detail", path.pk)).status_code == 200
    writes = [("learning-path-create",), ("learning-path-edit", path.pk), ("learning-step-create", path.pk),
              ("learning-step-edit", path.pk, step.pk), ("learning-step-move", path.pk, step.pk),
              ("learning-step-delete", path.pk, step.pk), ("learning-path-publish", path.pk),
              ("learning-path-unpublish", path.pk), ("learning-path-migrate", path.pk),
              ("learning-image-upload", path.pk)]
    for name, *args in writes:
        assert client.post(url(a, name, *args), {"name": "x", "title": "x", "direction": "up"}).status_code == 403, name
    assert draft(a, path) == [step] + draft(a, path)[1:] and path_of(a, "Path 0").is_published


def test_bad_path_input_names_the_field_and_writes_nothing(world_a):
    a = world_a
    _paths(a, 1)
    first = path_of(a, "Path 0")
    client = a.client_for(a.csm)
    with a.scope():
        second = save_path(tenant=a.tenant, path=None, data=PathData(name="Second", prerequisites=[first]))
    base = {"name": "Fine", "priority": "1", "support_action": "none"}
    cases = [({"slug": "Not A Slug"}, "Slug:"), ({"slug": first.slug}, "another path has this slug"),
             ({"priority": "5000"}, "Priority"), ({"personas": ",".join(["x"] * 51)}, "personas: at most 50"),
             ({"tiers": "a" * 70}, "at most 64 characters"), ({"knowledge_levels": ["wizard"]}, "wizard"),
             ({"support_action": "shout"}, "shout")]
    for change, message in cases:
        response = client.post(url(a, "learning-path-create"), base | change)
        assert response.status_code == 400 and message in response.content.decode(), (change, response.content[:200])
    # A cycle: Path 0 cannot require Second, which requires Path 0.
    response = client.post(url(a, "learning-path-edit", first.pk), base | {"prerequisites": [str(second.pk)]})
    assert response.status_code == 400 and "would make a cycle" in response.content.decode()
    with a.scope():
        assert LearningPath.objects.count() == 2 and not first.prerequisites.exists()
        assert path_of(a, "Path 0").name == "Path 0"


def test_bad_step_input_names_the_field_and_writes_nothing(world_a):
    a = world_a
    _paths(a, 1)
    path = path_of(a, "Path 0")
    before = [(s.key, s.title, s.pk) for s in draft(a, path)]
    client = a.client_for(a.csm)
    create = url(a, "learning-step-create", path.pk)
    cases = [
        ("quiz", {"title": "Q", "questions": "? Pick\n+ a\n+ b", "passing_score": "80", "max_attempts": "0"},
         "exactly one correct choice"),
        ("quiz", {"title": "Q", "questions": "Pick\n+ a", "passing_score": "80", "max_attempts": "0"}, "line 1"),
        ("quiz", {"title": "Q", "questions": "? Pick\n+ a\n- b", "passing_score": "101", "max_attempts": "0"},
         "Passing score"),
        ("product_task", {"title": "T", "event_name": "e", "event_match": "no equals sign"}, "line 1 is not key=value"),
        ("product_task", {"title": "T", "event_name": ""}, "Event name"),
        ("article", {"title": "A", "article": "999999"}, "Knowledge-base article"),
        ("lesson", {"title": "L", "key": "l0"}, "two steps have the key l0"),
        ("lesson", {"title": "L", "key": "Bad Key"}, "Key: lowercase letters"),
        ("lesson", {"title": ""}, "Title"),
    ]
    for kind, data, message in cases:
        response = client.post(create + f"?kind={kind}", data)
        body = response.content.decode()
        assert response.status_code == 400 and message in body, (kind, data, body[body.find("errorlist") - 300:][:900])
    assert client.post(create + "?kind=video", {"title": "x"}).status_code == 400
    sideways = client.post(url(a, "learning-step-move", path.pk, before[0][2]), {"direction": "sideways"})
    assert sideways.status_code == 400 and "direction: up or down" in sideways.content.decode()
    assert [(s.key, s.title, s.pk) for s in draft(a, path)] == before


def test_move_and_delete_answer_the_steps_partial_to_htmx(world_a):
    a = world_a
    _paths(a, 1)
    path = path_of(a, "Path 0")
    first = draft(a, path)[0]
    response = a.client_for(a.csm).post(url(a, "learning-step-move", path.pk, first.pk), {"direction": "down"},
                                        headers={"HX-Request": "true", "HX-Target": "steps"})
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="steps">') and "<html" not in body
    assert [s.title for s in draft(a, path)] == ["L1", "L0", "L2"]
    assert body.index("L1") < body.index("L0")


def test_a_stale_step_is_a_404_after_the_draft_changed(world_a):
    """Every save rewrites the draft's rows: a page opened before another author's edit posts to a step
    that no longer exists, and gets a 404 instead of editing the wrong step."""
    a = world_a
    _paths(a, 1)
    path = path_of(a, "Path 0")
    stale = draft(a, path)[0]
    client = a.client_for(a.csm)
    assert client.post(url(a, "learning-step-move", path.pk, stale.pk), {"direction": "down"}).status_code == 302
    assert client.post(url(a, "learning-step-delete", path.pk, stale.pk)).status_code == 404
    assert len(draft(a, path)) == 3


def test_image_upload_is_checked_and_served_publicly(world_a, world_b):
    a = world_a
    _paths(a, 1)
    path = path_of(a, "Path 0")
    client = a.client_for(a.csm)
    for name, data, message in (("x.svg", SVG, "no SVG"), ("big.png", png(3000, 10), "at most 2000 x 2000"),
                                ("huge.png", png(10, 10, padding=300 * 1024), "at most 256 KB"),
                                ("empty.png", b"", "the file is empty")):
        response = client.post(url(a, "learning-image-upload", path.pk),
                               {"image": SimpleUploadedFile(name, data, content_type="image/png")})
        assert response.status_code == 400 and "Image: " in response.content.decode(), name
        assert message in response.content.decode(), (name, response.content.decode()[-3000:])
    with a.scope():
        assert not LessonImage.objects.exists()
    data = png(30, 20, text="lesson")
    assert client.post(url(a, "learning-image-upload", path.pk),
                       {"image": SimpleUploadedFile("ok.png", data, content_type="image/png")}).status_code == 302
    with a.scope():
        image = LessonImage.objects.get()
    assert (image.content_type, image.width, image.height, image.size) == ("image/png", 30, 20, len(data))
    from django.test import Client

    public = reverse("lesson-image-file", args=[a.tenant.slug, image.pk, image.key])
    response = Client().get(public)
    assert response.status_code == 200 and response.content == data and response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(public, headers={"If-None-Match": response["ETag"]}).status_code == 304
    for wrong in (reverse("lesson-image-file", args=[world_b.tenant.slug, image.pk, image.key]),
                  reverse("lesson-image-file", args=[a.tenant.slug, image.pk, "0" * 32]),
                  reverse("lesson-image-file", args=[a.tenant.slug, image.pk + 1, image.key])):
        assert Client().get(wrong).status_code == 404, wrong


def test_an_error_of_another_step_is_shown_for_the_draft_not_on_this_forms_field(world_a):
    """Each save stores the whole draft again: when an article step lost its article (deleted from the
    knowledge base), editing any other step is refused with that step named, and fixing the article step
    itself puts the error on its own field first, then saves."""
    a = world_a
    article = make_article(a, "Doomed")
    with a.scope():
        path = save_path(tenant=a.tenant, path=None, data=PathData(name="Basics"))
        save_steps(tenant=a.tenant, path=path, steps=[StepData(kind="lesson", title="Intro"),
                                                      StepData(kind="article", title="Read", article=article)])
        Article.objects.filter(pk=article.pk).delete()
    intro, read = draft(a, path)
    client = a.client_for(a.csm)
    response = client.post(url(a, "learning-step-edit", path.pk, intro.pk), {"title": "Intro 2"})
    body = response.content.decode()
    assert response.status_code == 400 and "steps[1].article: choose a knowledge-base article" in body
    assert [s.title for s in draft(a, path)] == ["Intro", "Read"]
    response = client.post(url(a, "learning-step-edit", path.pk, read.pk), {"title": "Read", "article": ""})
    assert response.status_code == 400 and "Knowledge-base article" in response.content.decode()
    replacement = make_article(a, "Better")
    response = client.post(url(a, "learning-step-edit", path.pk, read.pk), {"title": "Read",
                                                                          "article": str(replacement.pk)})
    assert response.status_code == 302
    assert [s.article_id for s in draft(a, path)] == [None, replacement.pk]


def test_publishing_an_empty_draft_or_migrating_an_unpublished_path_is_a_400(world_a):
    a = world_a
    with a.scope():
        path = save_path(tenant=a.tenant, path=None, data=PathData(name="Empty"))
    client = a.client_for(a.csm)
    response = client.post(url(a, "learning-path-publish", path.pk))
    assert response.status_code == 400 and "steps: add at least one step before publishing" in response.content.decode()
    response = client.post(url(a, "learning-path-migrate", path.pk))
    assert response.status_code == 400 and "version: the path has no published version" in response.content.decode()
    with a.scope():
        assert not PathVersion.objects.filter(path=path, number__isnull=False).exists()
    assert not path_of(a, "Empty").is_published
