"""Issue 13, the learner portal in Debian's chromium on a phone-sized viewport, with the keyboard: a learner
opens a magic link, continues, completes a lesson and a quiz (a wrong attempt with its feedback, then right),
sees the product task wait for its event, the event is ingested, and after a reload the task is done with its
evidence, the path completed and the certificate verifiable."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from accounts.tenancy import tenant_scope
from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage
from learning.links import issue_link, link_path
from learning.models import Enrollment, EnrollmentStatus, LinkPurpose, StepProgress
from learning.services import enroll
from tests.e2e.conftest import off_the_event_loop
from tests.factories import AccountFactory, ContactFactory, TenantFactory
from tests.learning.portal_helpers import portal_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def learner(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-learning", name="Pipeworks", timezone="Europe/Istanbul")
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, name="Kuzey AŞ", external_id="kuzey", plan="pro")
        contact = ContactFactory(account=account, external_id="ayse", name="Ayşe Yılmaz", email="ayse@kuzey.test")
        path = portal_path(tenant)
        enroll(tenant=tenant, contact_ids=[contact.pk])
        enrollment = Enrollment.objects.get(contact=contact, path=path)
        token = issue_link(tenant=tenant, contact=contact, purpose=LinkPurpose.INVITATION)
    return {"tenant": tenant, "contact": contact, "account": account, "enrollment": enrollment, "token": token}


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("window.__csp") == [], "a Content-Security-Policy violation"
    if folder := os.environ.get("PORTAL_SCREENSHOTS"):
        name = page.url.rstrip("/").rsplit("/", 1)[-1] or "home"
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _tab_to(page, selector: str, limit: int = 30) -> None:
    """Tab until ``selector`` has the focus (the keyboard alone reaches every control)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_learner_signs_in_by_link_and_completes_a_path_on_a_phone(live_server, learner, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    # CSP violations are not always echoed to the console: count the events too (tests/e2e/test_csp_pages.py).
    page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    enrollment = learner["enrollment"]
    page.goto(live_server.url + link_path(learner["token"]))
    expect(page.locator("h1")).to_have_text("Sign in to your learning")
    _fits_the_phone(page)
    _tab_to(page, "#continue")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/learn/")
    expect(page.locator("h1")).to_have_text("My paths")
    expect(page.locator(".progress-text").first).to_contain_text("0 of 3 steps done")
    _fits_the_phone(page)

    # Resume -> the lesson; mark it done with the keyboard.
    _tab_to(page, "a.button")
    page.keyboard.press("Enter")
    expect(page.locator("h1").first).to_have_text("Welcome")
    _tab_to(page, "#mark-done")
    page.keyboard.press("Enter")

    # The quiz: one wrong attempt (its feedback shown, an attempt left), then the right answers.
    expect(page.locator("h1")).to_have_text("Check")
    _fits_the_phone(page)
    _tab_to(page, "#q-0-0")
    page.keyboard.press("ArrowDown")  # the radio group: the second choice, "Delete" (wrong)
    expect(page.locator("#q-0-1")).to_be_checked()
    _tab_to(page, "#q-1-0")
    page.keyboard.press("Space")
    _tab_to(page, "#q-1-2")
    page.keyboard.press("Space")
    _tab_to(page, "#submit-quiz")
    page.keyboard.press("Enter")
    result = page.locator("#quiz-result")
    expect(result).to_contain_text("Attempt 1: you scored 0%.")
    expect(result).to_contain_text("Attempts left: 1.")
    expect(page.locator("#q-0-outcome")).to_contain_text("Delete removes the pipeline.")
    expect(page.locator("#q-1-outcome")).to_contain_text("Lunch is not a stage.")
    _tab_to(page, "#q-0-1")
    page.keyboard.press("ArrowUp")  # back to "Save"
    expect(page.locator("#q-0-0")).to_be_checked()
    _tab_to(page, "#q-1-1")
    page.keyboard.press("Space")
    _tab_to(page, "#q-1-2")
    page.keyboard.press("Space")  # untick "Lunch"
    _tab_to(page, "#submit-quiz")
    page.keyboard.press("Enter")
    expect(result).to_contain_text("Attempt 2: you scored 100%. Passed.")
    expect(page.locator("#q-0-outcome")).to_contain_text("Right: Save keeps your work.")

    # The product task waits for its event, and says which.
    _tab_to(page, "a.button")
    page.keyboard.press("Enter")
    state = page.locator("#task-state")
    expect(state).to_contain_text("Not complete yet: waiting for the event “pipeline.created”. (with plan = pro)")
    _fits_the_phone(page)

    occurred = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2)

    def ingest_and_complete() -> None:
        tenant = learner["tenant"]
        with tenant_scope(tenant):
            result = ingest_events(tenant=tenant, items=[{
                "event_id": "evt-pipeline-1", "account": "kuzey", "contact": "ayse", "name": "pipeline.created",
                "occurred_at": occurred.isoformat(), "properties": {"plan": "pro"}}])
            assert result.accepted == 1, result
            # What the worker's merge task does: fold the batch, then (after its commit) complete the product
            # tasks its events match (learning.events).
            merge_pending_usage(tenant=tenant)

    off_the_event_loop(ingest_and_complete)
    page.reload()
    local = timezone.localtime(occurred, learner["tenant"].zone).strftime("%Y-%m-%d %H:%M")
    expect(state).to_contain_text(f"Completed by the event “pipeline.created” at {local}.")
    _fits_the_phone(page)

    # The path is completed; the certificate verifies publicly.
    page.goto(live_server.url + "/learn/")
    card = page.locator(f"#enrollment-{enrollment.pk}")
    expect(card).to_contain_text("Completed")
    expect(card).to_contain_text("3 of 3 steps done")
    card.get_by_role("link", name="Certificate").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Certificate of completion")
    expect(page.locator(".certificate-body")).to_contain_text("Ayşe Yılmaz completed “Pipeline basics” (version 1)")
    verify = page.locator("a.verify").get_attribute("href")
    _fits_the_phone(page)

    def stored():
        with tenant_scope(learner["tenant"]):
            done = Enrollment.objects.get(pk=enrollment.pk)
            return done.status, done.certificate_code, StepProgress.objects.filter(enrollment=done).count()

    status, code, steps_done = off_the_event_loop(stored)
    assert (status, steps_done) == (EnrollmentStatus.COMPLETED, 3) and verify.endswith(f"/certificates/{code}/")
    public = page.context.browser.new_page()  # another person, no learner cookie
    try:
        public.goto(verify)
        expect(public.locator(".notice")).to_have_text("This certificate is genuine.")
        expect(public.locator(".certificate")).to_contain_text("Issued by Pipeworks")
    finally:
        public.close()
    page.goto("about:blank")
