"""The account pages in a real browser (Debian's chromium driven by Playwright): log in, filter the
list (htmx swaps the results without reloading the page), open an account, log a call on its timeline."""

from __future__ import annotations

import re

import pytest

from accounts.models import LifecycleStage, Role
from accounts.tenancy import tenant_scope
from tests.e2e.conftest import off_the_event_loop
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tenant_data(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e", name="E2E Tenant", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="csm@e2e.test", email="csm@e2e.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
        alpha = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-alpha", owner_csm=user)
        AccountFactory(tenant=tenant, name="Beta Industries", external_id="e2e-beta")
        AccountFactory(tenant=tenant, name="Zeta Corp", external_id="e2e-zeta", lifecycle_stage=LifecycleStage.CHURNED)
        ContactFactory(account=alpha, name="Alice Admin")
    return {"tenant": tenant, "user": user, "alpha": alpha}


@pytest.fixture
def page(tenant_data, browser_page):
    return browser_page


def log_in(page, live_server) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "csm@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # One membership: the home page sends the user straight to the tenant's home, which lists their accounts.
    page.wait_for_url(re.compile(r"/t/e2e/$"))
    expect(page.locator("#my-accounts tbody tr")).to_have_count(1)
    page.click("nav.topnav summary:text('Customers')")
    page.click("nav.topnav a:text('Accounts')")
    page.wait_for_url(re.compile(r"/t/e2e/accounts/$"))


def test_login_filter_with_htmx_and_open_an_account(live_server, tenant_data, page):
    from playwright.sync_api import expect

    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    log_in(page, live_server)
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)  # a CSM lands on their own accounts
    page.click("#show-all")
    expect(rows).to_have_count(3)
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"

    # A marker on the window survives only if the page is not reloaded: htmx swaps the results.
    page.evaluate("window.__no_reload = true")
    page.select_option("#id_stage", "churned")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zeta Corp")
    expect(page).to_have_url(re.compile(r"stage=churned"))
    assert page.evaluate("window.__no_reload") is True

    page.select_option("#id_stage", "")
    page.fill("#id_q", "alpha")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alpha Corp")
    expect(page).to_have_url(re.compile(r"q=alpha"))
    assert page.evaluate("window.__no_reload") is True

    page.click("#results >> text=Alpha Corp")
    page.wait_for_url(re.compile(rf"/t/e2e/accounts/{tenant_data['alpha'].pk}/$"))
    expect(page.locator("h1")).to_contain_text("Alpha Corp")
    expect(page.locator(".figures")).to_contain_text("Contacts known")
    expect(page.locator("#account-contacts")).to_contain_text("Alice Admin")
    expect(page.locator("#timeline")).to_contain_text("Account created")

    csp = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp, csp


def test_log_a_call_and_filter_the_timeline_with_htmx(live_server, tenant_data, page):
    """The note form and the kind filter swap the timeline alone (no reload), within the strict CSP."""
    from playwright.sync_api import expect

    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/t/e2e/accounts/{tenant_data['alpha'].pk}/")
    page.evaluate("window.__no_reload = true")

    page.click("#timeline summary")
    page.select_option("#note-form select[name=kind]", "call")
    page.fill("#note-form input[name=subject]", "Renewal call")
    page.fill("#note-form textarea[name=body]", "Champion leaves in March.")
    page.click("#note-form button[type=submit]")
    events = page.locator("#timeline ol.timeline li")
    expect(page.locator("#timeline .notice")).to_contain_text("Call saved on the timeline.")
    expect(events.first).to_contain_text("Call logged · Renewal call")
    expect(events.first).to_contain_text("by csm@e2e.test")
    assert page.evaluate("window.__no_reload") is True

    page.check("#timeline input[value='account.created']")
    page.click("#timeline .timeline-kinds button[type=submit]")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("Account created")
    expect(page).to_have_url(re.compile(r"kind=account.created"))
    assert page.evaluate("window.__no_reload") is True
    csp = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp, csp


def test_a_refused_note_shows_its_error_in_place(live_server, tenant_data, page):
    """A note the server refuses (400, the field named) is swapped in with its error, as a success would be:
    htmx leaves 4xx answers out unless told, and the form then looked as if nothing had happened."""
    from playwright.sync_api import expect

    log_in(page, live_server)
    page.goto(f"{live_server.url}/t/e2e/accounts/{tenant_data['alpha'].pk}/")
    page.click("#timeline summary")
    page.select_option("#note-form select[name=kind]", "call")
    page.fill("#note-form input[name=subject]", "Renewal call")
    # The browser's own checks would stop an empty body; the server's are what this test is about.
    page.evaluate("document.getElementById('note-form').noValidate = true")
    page.fill("#note-form textarea[name=body]", "")
    page.console.expect(r"status of 400 \(Bad Request\)")  # the refusal this test provokes, nothing else
    with page.expect_response(lambda r: "/notes/" in r.url and r.request.method == "POST") as answer:
        page.click("#note-form button[type=submit]")
    assert answer.value.status == 400
    expect(page.locator("#note-form")).to_contain_text("This field is required")
    expect(page.locator("#timeline ol.timeline li")).not_to_contain_text(["Renewal call"])


def test_import_progress_page_polls_until_the_job_is_done(live_server, tenant_data, page):
    from unittest import mock

    from playwright.sync_api import expect

    from accounts.models import Job
    from accounts.tasks import run_csv_import

    page.goto(f"{live_server.url}/accounts/login/?next=/t/e2e/accounts/import/")
    page.fill("#id_username", "csm@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/t/e2e/accounts/import/$"))
    csv_text = b"external_id,name,arr\ne2e-new,Newco,100\ne2e-bad,Badco,lots\n"
    page.set_input_files("#id_file", files=[{"name": "a.csv", "mimeType": "text/csv", "buffer": csv_text}])
    # No broker in this test: the enqueue is caught and the task function is run here instead.
    with mock.patch.object(run_csv_import, "delay") as delay:
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/t/e2e/jobs/\d+/$"))
    delay.assert_called_once()
    expect(page.locator(".job-state")).to_have_text("Queued")
    page.evaluate("window.__no_reload = true")

    def run_the_task() -> int:
        with tenant_scope(tenant_data["tenant"]):
            job_pk = Job.objects.get().pk
        run_csv_import(*delay.call_args.args)
        return job_pk

    assert delay.call_args.args == (tenant_data["tenant"].pk, off_the_event_loop(run_the_task))

    # The partial polls every second and stops once it shows the finished job.
    expect(page.locator(".job-state")).to_have_text("Done", timeout=5_000)
    expect(page.locator("#count-accepted")).to_have_text("1")
    expect(page.locator("#import-errors")).to_contain_text("arr")
    assert page.evaluate("window.__no_reload") is True
    assert page.locator("#job-progress[hx-trigger]").count() == 0
    page.goto("about:blank")  # no request in flight while the live server and its database shut down
