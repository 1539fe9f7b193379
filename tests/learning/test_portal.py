"""The learner portal (issue 13, part B): magic-link sign-in, the learner session, a learner's own paths and
steps only, lessons, quizzes with feedback and their attempt limit, product tasks' live state, certificates,
the sign-in request, rate limits, the pages' query counts and their words in every shipped language."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage
from learning.links import issue_link, link_path
from learning.models import Enrollment, EnrollmentStatus, LearnerLink, LearnerSession, QuizAttempt, StepProgress
from learning.paths.services import StepData, publish, save_steps
from learning.portal.sessions import COOKIE
from learning.portal.strings import CATALOG
from learning.progress import complete_step
from surveys.languages import SHIPPED
from surveys.sending.models import OutboxMessage
from tests.learning.portal_helpers import (
    RIGHT,
    WRONG,
    enrollment_of,
    learner_client,
    link_for,
    portal_path,
    step_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(world_a):
    a = world_a
    with a.scope():
        path = portal_path(a.tenant)
    mine = enrollment_of(a, path, a.contacts[0])
    theirs = enrollment_of(a, path, a.contacts[1])
    return {"world": a, "path": path, "mine": mine, "theirs": theirs, "contact": a.contacts[0]}


def step_url(enrollment, key) -> str:
    return f"/learn/paths/{enrollment.pk}/steps/{key}/"


def text(response) -> str:
    return response.content.decode()


# --- the catalog ------------------------------------------------------------------------------------------


def test_every_portal_word_is_in_every_shipped_language_with_the_same_placeholders():
    fields = string.Formatter()
    for key, translations in CATALOG.items():
        assert set(translations) == set(SHIPPED), key
        wanted = {f for _, f, _, _ in fields.parse(translations["en"]) if f}
        for language, words in translations.items():
            assert words.strip(), (key, language)
            assert {f for _, f, _, _ in fields.parse(words) if f} == wanted, (key, language)


# --- magic links and the session ------------------------------------------------------------------------


def test_a_get_never_spends_the_link_the_post_does_and_only_once(portal):
    a, contact = portal["world"], portal["contact"]
    url = link_for(a, contact)
    client = Client()
    for _ in range(2):  # a mail scanner's GET, then the person's
        page = client.get(url)
        assert page.status_code == 200 and 'id="continue"' in text(page)
    with a.scope():
        assert LearnerLink.objects.get().used_at is None
    spent = client.post(url)
    assert spent.status_code == 303 and spent["Location"] == "/learn/"
    cookie = spent.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/learn/"
    with a.scope():
        link = LearnerLink.objects.get()
        session = LearnerSession.objects.get()
    assert link.used_at is not None and session.contact_id == contact.pk
    assert session.token_hash != cookie.value and len(session.token_hash) == 64  # only the hash is stored
    assert session.expires_at - session.created_at == dt.timedelta(days=30)
    assert client.get("/learn/").status_code == 200
    again = Client().post(url)  # spent: refused, no second session, a form asking for a new link
    assert again.status_code == 410 and COOKIE not in again.cookies
    assert f'action="/learn/{a.tenant.slug}/sign-in/"' in text(again)
    assert Client().get(url).status_code == 410
    with a.scope():
        assert LearnerSession.objects.count() == 1


@pytest.mark.parametrize("secure", [False, True])
def test_the_learner_cookie_is_secure_when_the_site_is(portal, settings, secure):
    settings.SESSION_COOKIE_SECURE = secure
    response = Client().post(link_for(portal["world"], portal["contact"]))
    assert bool(response.cookies[COOKIE]["secure"]) is secure


def test_an_expired_link_is_refused_by_get_and_post(portal):
    a, contact = portal["world"], portal["contact"]
    with a.scope():
        token = issue_link(tenant=a.tenant, contact=contact, purpose="sign_in",
                           now=timezone.now() - dt.timedelta(minutes=31))
    assert Client().get(link_path(token)).status_code == 410
    response = Client().post(link_path(token))
    assert response.status_code == 410 and COOKIE not in response.cookies
    with a.scope():
        assert LearnerLink.objects.get().used_at is None and not LearnerSession.objects.exists()


def test_an_unknown_link_is_a_404_and_a_malformed_one_costs_no_query(portal, django_assert_num_queries):
    assert Client().get("/learn/link/" + "A" * 22 + "/").status_code == 404
    with django_assert_num_queries(0):
        response = Client().get("/learn/link/not-a-token/")
    assert response.status_code == 404 and "Unknown link" in text(response)


def test_staff_login_does_not_sign_into_the_portal(portal):
    a = portal["world"]
    staff = a.client_for(a.admin)
    for url in ("/learn/", f"/learn/paths/{portal['mine'].pk}/", step_url(portal["mine"], "welcome")):
        response = staff.get(url)
        assert response.status_code == 403 and "You are signed out" in text(response), url
    assert staff.post(step_url(portal["mine"], "welcome")).status_code == 403
    with a.scope():
        assert not StepProgress.objects.exists()


def test_the_learner_cookie_does_not_open_staff_pages(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    assert learner.get("/learn/").status_code == 200
    for url in (f"/t/{a.tenant.slug}/", f"/t/{a.tenant.slug}/accounts/"):
        response = learner.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_sign_out_ends_the_session_even_for_a_kept_cookie(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    token = learner.cookies[COOKIE].value
    out = learner.post("/learn/sign-out/")
    assert out.status_code == 200 and out.cookies[COOKIE].value == ""
    with a.scope():
        assert LearnerSession.objects.get().ended_at is not None
    learner.cookies[COOKIE] = token  # a copy of the old cookie
    assert learner.get("/learn/").status_code == 403
    assert Client().get("/learn/sign-out/").status_code == 405


def test_sign_out_needs_the_csrf_token(portal):
    a = portal["world"]
    learner = Client(enforce_csrf_checks=True)
    learner.cookies = learner_client(a, portal["contact"]).cookies
    assert learner.post("/learn/sign-out/").status_code == 403
    with a.scope():
        assert LearnerSession.objects.get().ended_at is None


def test_an_expired_session_is_signed_out(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    with a.scope():
        LearnerSession.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert learner.get("/learn/").status_code == 403


# --- only one's own enrollments -------------------------------------------------------------------------


def test_a_learner_cannot_open_another_learners_or_another_tenants_enrollment(portal, world_b):
    a = portal["world"]
    with world_b.scope():
        b_path = portal_path(world_b.tenant, "Bravo path")
    b_enrollment = enrollment_of(world_b, b_path, world_b.contacts[0])
    learner = learner_client(a, portal["contact"])
    for enrollment in (portal["theirs"], b_enrollment):
        for url in (f"/learn/paths/{enrollment.pk}/", step_url(enrollment, "welcome"),
                    f"/learn/paths/{enrollment.pk}/certificate/"):
            assert learner.get(url).status_code == 404, url
        assert learner.post(step_url(enrollment, "welcome")).status_code == 404
        assert learner.post(step_url(enrollment, "check"), WRONG).status_code == 404
    with a.scope():
        assert not StepProgress.objects.exists() and not QuizAttempt.objects.exists()
    home = text(learner.get("/learn/"))
    assert f"/learn/paths/{portal['mine'].pk}/" in home and f"/learn/paths/{portal['theirs'].pk}/" not in home
    assert learner.get(step_url(portal["mine"], "no-such-step")).status_code == 404
    assert learner.get("/learn/paths/" + "9" * 30 + "/").status_code == 404  # past bigint: still a 404
    assert learner.get(step_url(portal["mine"], "k" * 5000)).status_code == 404


def test_a_withdrawn_enrollment_is_gone_from_the_portal(portal):
    a = portal["world"]
    with a.scope():
        Enrollment.objects.filter(pk=portal["mine"].pk).update(status=EnrollmentStatus.WITHDRAWN)
    learner = learner_client(a, portal["contact"])
    assert f"/learn/paths/{portal['mine'].pk}/" not in text(learner.get("/learn/"))
    assert learner.get(f"/learn/paths/{portal['mine'].pk}/").status_code == 404


# --- my paths, a path, lessons --------------------------------------------------------------------------


def test_my_paths_orders_required_first_and_shows_progress_and_resume(portal):
    a = portal["world"]
    with a.scope():
        required = portal_path(a.tenant, "Admin must-do")
        required.is_required = True
        required.save()
    enrollment_of(a, required, portal["contact"])
    learner = learner_client(a, portal["contact"])
    assert learner.post(step_url(portal["mine"], "welcome")).status_code == 303
    page = text(learner.get("/learn/"))
    assert page.index("Admin must-do") < page.index("Pipeline basics")
    assert "1 of 3 steps done" in page and "0 of 3 steps done" in page
    assert "A path is complete when every required step is done." in page  # the figure's definition
    assert f'href="{step_url(portal["mine"], "check")}"' in page  # resume at the first step not done
    assert '<progress max="3" value="1"' in page


def test_marking_a_lesson_done_records_it_once_and_goes_to_the_next_step(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    lesson = learner.get(step_url(portal["mine"], "welcome"))
    assert lesson.status_code == 200 and "<h1>Hello" in text(lesson) and 'id="mark-done"' in text(lesson)
    done = learner.post(step_url(portal["mine"], "welcome"))
    assert done.status_code == 303 and done["Location"] == step_url(portal["mine"], "check")
    assert learner.post(step_url(portal["mine"], "welcome")).status_code == 303  # again: nothing new
    with a.scope():
        progress = StepProgress.objects.get()
        enrollment = Enrollment.objects.get(pk=portal["mine"].pk)
    assert progress.evidence == {"kind": "lesson"} and enrollment.status == EnrollmentStatus.STARTED
    assert enrollment.last_activity_at is not None
    again = text(learner.get(step_url(portal["mine"], "welcome")))
    assert "You completed this step on" in again and 'id="mark-done"' not in again
    path = text(learner.get(f"/learn/paths/{portal['mine'].pk}/"))
    assert "Done on " in path and 'aria-current="step"' in path and "Up next" in path


def test_a_product_task_cannot_be_marked_done_by_hand(portal):
    learner = learner_client(portal["world"], portal["contact"])
    assert learner.post(step_url(portal["mine"], "first-pipeline")).status_code == 405


def test_the_path_says_when_a_newer_version_exists(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    assert learner.post(step_url(portal["mine"], "welcome")).status_code == 303
    assert "newer-version" not in text(learner.get(f"/learn/paths/{portal['mine'].pk}/"))
    with a.scope():
        save_steps(tenant=a.tenant, path=portal["path"], steps=[StepData(kind="lesson", title="New", key="new")])
        publish(tenant=a.tenant, path=portal["path"], by=None)
    page = text(learner.get(f"/learn/paths/{portal['mine'].pk}/"))
    assert "You finish version 1, the one you started." in page
    assert "Create your first pipeline" in page and ">New<" not in page  # still their version's steps


def test_an_article_step_shows_the_article_and_is_marked_read(world_a):
    from support.knowledge.services import save_article
    from support.models import Article, ArticleCategory

    a = world_a
    with a.scope():
        category = ArticleCategory.objects.create(tenant=a.tenant, name="Guides", slug="guides")
        article = save_article(tenant=a.tenant, article=Article(
            tenant=a.tenant, category=category, title="Pipelines in depth", slug="pipelines",
            body_markdown="Stages *run* in order.<script>alert(1)</script>", is_published=True))
        path = portal_path(a.tenant, article=article)
    enrollment = enrollment_of(a, path, a.contacts[0])
    learner = learner_client(a, a.contacts[0])
    page = text(learner.get(step_url(enrollment, "read-more")))
    assert "Pipelines in depth" in page and "<em>run</em>" in page and "<script>alert" not in page
    assert "Mark as read" in page
    assert learner.post(step_url(enrollment, "read-more")).status_code == 303
    with a.scope():
        assert StepProgress.objects.get().evidence == {"kind": "article", "article_id": article.pk}


# --- quizzes --------------------------------------------------------------------------------------------


def test_quiz_attempts_show_feedback_and_stop_at_the_limit(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    url = step_url(portal["mine"], "check")
    form = text(learner.get(url))
    assert 'type="radio" name="q-0"' in form and 'type="checkbox" name="q-1"' in form
    assert "You need 100% to pass." in form

    missing = learner.post(url, {"q-0": "0"})  # the second question unanswered: refused, nothing kept
    assert missing.status_code == 400 and "Question 2: choose an answer" in text(missing)
    assert 'id="q-0-0" value="0" checked' in text(missing)  # what was ticked stays ticked
    for bad in ({"q-0": "9", "q-1": "0"}, {"q-0": "x", "q-1": "0"}, {"q-0": ["0", "1"], "q-1": "0"}):
        assert learner.post(url, bad).status_code == 400, bad
    with a.scope():
        assert not QuizAttempt.objects.exists()

    first = text(learner.post(url, WRONG))
    assert "Attempt 1: you scored 0%." in first and "Not passed yet." in first
    assert "Delete removes the pipeline." in first and "Lunch is not a stage." in first
    assert first.count(">Incorrect<") == 2 and "Attempts left: 1." in first
    assert 'aria-live="polite"' in first
    last = text(learner.post(url, {"q-0": "0", "q-1": ["0", "2"]}))
    assert "Attempt 2: you scored 50%." in last and ">Correct<" in last and "Right: Save keeps your work." in last
    assert "You have used all your attempts. Contact your customer success manager" in last
    assert 'id="submit-quiz"' not in last
    refused = learner.post(url, RIGHT)
    assert refused.status_code == 409
    with a.scope():
        assert QuizAttempt.objects.count() == 2 and not StepProgress.objects.exists()
    assert "You have used all your attempts" in text(learner.get(url))  # said again on a later visit


def test_a_passed_quiz_completes_the_step_and_keeps_showing_its_result(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    url = step_url(portal["mine"], "check")
    assert "Attempt 1" in text(learner.post(url, WRONG))
    passed = text(learner.post(url, RIGHT))
    assert "Attempt 2: you scored 100%." in passed and "Passed." in passed
    assert f'href="{step_url(portal["mine"], "first-pipeline")}"' in passed  # the next step
    with a.scope():
        assert StepProgress.objects.get().evidence == {"kind": "quiz", "score": 100, "attempt": 2}
    shown = text(learner.get(url))
    assert "Attempt 2: you scored 100%." in shown and 'id="submit-quiz"' not in shown
    assert learner.post(url, RIGHT).status_code == 409


# --- product tasks --------------------------------------------------------------------------------------


def test_a_product_task_shows_what_it_waits_for_then_its_evidence(portal, django_capture_on_commit_callbacks):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    url = step_url(portal["mine"], "first-pipeline")
    page = text(learner.get(url))
    assert "Not complete yet: waiting for the event “pipeline.created”. (with plan = pro)" in page
    assert 'hx-trigger="every 10s"' in page and 'aria-live="polite"' in page
    assert 'src="/static/vendor/htmx.min.js"' in page
    poll = learner.get(url, headers={"HX-Request": "true", "HX-Target": "task-state"})
    assert poll.status_code == 200 and "<html" not in text(poll) and 'id="task-state"' in text(poll)
    at = dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.UTC)
    contact = portal["contact"]
    with a.scope():
        # The event arrives through ingestion; the merge's after-commit hook completes the task (learning.events).
        result = ingest_events(tenant=a.tenant, items=[{
            "event_id": "evt-1", "account": contact.account.external_id, "contact": contact.external_id,
            "name": "pipeline.created", "occurred_at": at.isoformat(), "properties": {"plan": "pro"}}])
        assert result.accepted == 1, result
        with django_capture_on_commit_callbacks(execute=True):
            merge_pending_usage(tenant=a.tenant)
    done = text(learner.get(url, headers={"HX-Request": "true", "HX-Target": "task-state"}))
    # The tenant's zone is America/Los_Angeles: 17:05 UTC is 09:05 there.
    assert "Completed by the event “pipeline.created” at 2026-11-30 09:05." in done
    assert "hx-trigger" not in done  # done: the polling stops


def test_a_near_miss_is_explained(portal, django_capture_on_commit_callbacks):
    """An event of the task's name whose properties differ does not complete it; the page says what differed."""
    a, contact = portal["world"], portal["contact"]
    at = dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.UTC)
    with a.scope():
        result = ingest_events(tenant=a.tenant, items=[{
            "event_id": "evt-near", "account": contact.account.external_id, "contact": contact.external_id,
            "name": "pipeline.created", "occurred_at": at.isoformat(), "properties": {"plan": "free"}}])
        assert result.accepted == 1, result
        with django_capture_on_commit_callbacks(execute=True):
            merge_pending_usage(tenant=a.tenant)
    learner = learner_client(portal["world"], portal["contact"])
    page = text(learner.get(step_url(portal["mine"], "first-pipeline")))
    assert "We saw “pipeline.created” at 2026-11-30 09:05, but it did not match:" in page
    assert "plan was “free”, not “pro”" in page
    assert "Not complete yet" in page


# --- certificates ---------------------------------------------------------------------------------------


def _complete(a, enrollment):
    with a.scope():
        enrollment = Enrollment.objects.get(pk=enrollment.pk)
        for key in ("welcome", "check", "first-pipeline"):
            complete_step(tenant=a.tenant, enrollment=enrollment, step=step_of(enrollment, key),
                          done_at=dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))
        enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED and len(enrollment.certificate_code) == 22
    return enrollment


def test_the_certificate_is_the_learners_and_verifiable_by_anyone(portal):
    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    assert learner.get(f"/learn/paths/{portal['mine'].pk}/certificate/").status_code == 404  # not completed yet
    enrollment = _complete(a, portal["mine"])
    home = text(learner.get("/learn/"))
    assert "Completed on 2026-11-30" in home and f"/learn/paths/{enrollment.pk}/certificate/" in home
    mine = text(learner.get(f"/learn/paths/{enrollment.pk}/certificate/"))
    verify = f"/certificates/{enrollment.certificate_code}/"
    assert f'href="http://testserver{verify}"' in mine
    public = Client().get(verify)
    body = text(public)
    assert public.status_code == 200 and "This certificate is genuine." in body
    assert "Person 0 completed “Pipeline basics” (version 1) on 2026-11-30." in body
    assert "Issued by Alpha Analytics" in body


def test_an_unknown_certificate_is_a_404_that_says_so(portal, django_assert_num_queries):
    unknown = Client().get("/certificates/" + "x" * 22 + "/")
    assert unknown.status_code == 404 and "No certificate has this code" in text(unknown)
    with django_assert_num_queries(0):
        assert Client().get("/certificates/not-a-code/").status_code == 404


# --- the sign-in request --------------------------------------------------------------------------------


def test_the_sign_in_request_answers_the_same_and_emails_only_a_known_contact(portal):
    a, contact = portal["world"], portal["contact"]
    with a.scope():
        contact.language = "tr"
        contact.save()
    url = f"/learn/{a.tenant.slug}/sign-in/"
    form = Client().get(url)
    assert form.status_code == 200 and 'name="email"' in text(form) and "Alpha Analytics" in text(form)
    known = Client().post(url, {"email": contact.email.upper()})
    unknown = Client().post(url, {"email": "nobody@nowhere.example.com"})
    assert known.status_code == unknown.status_code == 200

    def answer(response) -> str:
        return re.sub(r'value="[^"]*"', "", text(response))

    assert answer(known) == answer(unknown) and "If we know this address" in text(known)
    with a.scope():
        message = OutboxMessage.objects.get()
        link = LearnerLink.objects.get()
    assert message.invitation_id is None and message.to_email == contact.email and message.status == "pending"
    assert message.subject == "Alpha Analytics: giriş bağlantınız"
    assert link.purpose == "sign_in" and link.contact_id == contact.pk
    token = re.search(r"/learn/link/([A-Za-z0-9_-]{22})/", message.body_text).group(1)
    assert token in message.body_html
    assert Client().post(f"/learn/link/{token}/").status_code == 303  # the emailed link signs in


def test_the_outbox_delivers_the_sign_in_email_and_blanks_its_link(portal, mailoutbox):
    from surveys.sending.outbox import deliver_outbox

    a, contact = portal["world"], portal["contact"]
    assert Client().post(f"/learn/{a.tenant.slug}/sign-in/", {"email": contact.email}).status_code == 200
    with a.scope():
        assert deliver_outbox(tenant=a.tenant).sent == 1
        message = OutboxMessage.objects.get()
    [email] = mailoutbox
    assert email.to == [contact.email] and email.subject == "Alpha Analytics: your sign-in link"
    assert "Hello Person 0," in email.body and re.search(r"/learn/link/[A-Za-z0-9_-]{22}/", email.body)
    assert message.status == "sent" and message.body_text == "" and message.body_html == ""


def test_a_bad_email_is_a_400_naming_the_field_and_writes_nothing(portal):
    url = f"/learn/{portal['world'].tenant.slug}/sign-in/"
    for bad in ("", "not an email", "a@b", "x" * 300 + "@example.com", "a\x00@example.com"):
        response = Client().post(url, {"email": bad})
        assert response.status_code == 400 and "Email address: enter an email address" in text(response), bad
    with portal["world"].scope():
        assert not OutboxMessage.objects.exists() and not LearnerLink.objects.exists()
    assert Client().get("/learn/no-such-tenant/sign-in/").status_code == 404


def test_sign_in_requests_are_rate_limited_per_email_and_per_address(portal):
    a, contact = portal["world"], portal["contact"]
    url = f"/learn/{a.tenant.slug}/sign-in/"
    statuses = [Client(REMOTE_ADDR=f"10.0.0.{i}").post(url, {"email": contact.email}).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    with a.scope():
        assert OutboxMessage.objects.count() == 5
    from_one_address = [Client(REMOTE_ADDR="10.0.1.1").post(url, {"email": f"p{i}@example.com"}).status_code
                        for i in range(11)]
    assert from_one_address == [200] * 10 + [429]


# --- the pages' cost and language -----------------------------------------------------------------------


def test_the_pages_query_counts_do_not_grow_with_paths_or_steps(portal, django_assert_max_num_queries):
    a = portal["world"]
    with a.scope():
        for n in range(5):
            enrollment_of(a, portal_path(a.tenant, f"Extra {n}"), portal["contact"])
    learner = learner_client(a, portal["contact"])
    mine = portal["mine"]
    assert learner.post(step_url(mine, "welcome")).status_code == 303
    assert learner.post(step_url(mine, "check"), WRONG).status_code == 200
    for url, most in (("/learn/", 3), (f"/learn/paths/{mine.pk}/", 5), (step_url(mine, "welcome"), 6),
                      (step_url(mine, "check"), 6), (step_url(mine, "first-pipeline"), 6)):
        with django_assert_max_num_queries(most):
            assert learner.get(url).status_code == 200, url
    with django_assert_max_num_queries(3):
        assert Client().get(link_for(a, portal["contact"])).status_code == 200


def test_the_pages_speak_the_contacts_language(portal):
    a, contact = portal["world"], portal["contact"]
    with a.scope():
        contact.language = "ta"
        contact.save()
    learner = learner_client(a, contact)
    page = text(learner.get("/learn/"))
    assert '<html lang="ta">' in page and "என் பாதைகள்" in page and "வெளியேறு" in page
    chinese = Client(headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get("/learn/")
    assert '<html lang="zh-Hans">' in text(chinese) and "您已退出登录" in text(chinese)


# --- hostile input (the staff form fuzz has no learner session: tests/fuzz/test_form_fuzz.py EXCLUDED) ----


def test_the_step_and_sign_in_forms_survive_hostile_input(portal):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzz.formfuzz import HOSTILE, rolled_back

    a = portal["world"]
    learner = learner_client(a, portal["contact"])
    values = st.one_of(HOSTILE, st.lists(HOSTILE, max_size=4))

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(q0=values, q1=values, email=HOSTILE, key=st.sampled_from(["welcome", "check", "first-pipeline"]))
    def example(q0, q1, email, key):
        cache.clear()  # the rate limits' counters: each example is a fresh visitor
        with rolled_back():
            with a.scope():
                before = (QuizAttempt.objects.count(), StepProgress.objects.count(), OutboxMessage.objects.count())
            response = learner.post(step_url(portal["mine"], key), {"q-0": q0, "q-1": q1})
            assert response.status_code in (200, 303, 400, 405, 409), (key, q0, q1, response.status_code)
            sign_in = Client().post(f"/learn/{a.tenant.slug}/sign-in/", {"email": email})
            assert sign_in.status_code in (200, 400, 429), (email, sign_in.status_code)
            with a.scope():
                after = (QuizAttempt.objects.count(), StepProgress.objects.count(), OutboxMessage.objects.count())
            if response.status_code in (400, 405, 409):
                assert after[:2] == before[:2], (key, q0, q1)
            if sign_in.status_code != 200:
                assert after[2] == before[2], email

    example()
