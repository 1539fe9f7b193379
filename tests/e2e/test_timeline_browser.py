"""The account timeline in a real browser: log a call through the htmx form (the timeline is swapped
without a reload), filter by kind, and no Content-Security-Policy violation on the way."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from accounts.tenancy import tenant_scope
from tests.factories import AccountFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def timeline_data(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e", name="E2E Tenant", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="csm@e2e.test", email="csm@e2e.test", password=PASSWORD, first_name="Cora",
                           last_name="Smith")
        MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-alpha", owner_csm=user)
    return {"tenant": tenant, "account": account}


def test_log_a_call_and_filter_the_timeline(live_server, timeline_data, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "csm@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/t/e2e/accounts/$"))
    page.goto(f"{live_server.url}/t/e2e/accounts/{timeline_data['account'].pk}/")
    page.evaluate("window.__no_reload = true")

    page.click("#timeline summary")
    page.select_option("#note-form select[name=kind]", "call")
    page.fill("#note-form input[name=subject]", "Renewal call")
    page.fill("#note-form textarea[name=body]", "Champion leaves in March.")
    page.click("#note-form button[type=submit]")
    events = page.locator("#timeline ol.timeline li")
    expect(page.locator("#timeline .notice")).to_contain_text("Call saved on the timeline.")
    expect(events.first).to_contain_text("Call logged")
    expect(events.first).to_contain_text("Renewal call")
    expect(events.first).to_contain_text("by Cora Smith")
    assert page.evaluate("window.__no_reload") is True

    page.check("#timeline input[value='account.created']")
    page.click("#timeline .timeline-kinds button[type=submit]")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("Account created")
    expect(page).to_have_url(re.compile(r"kind=account.created"))
    assert page.evaluate("window.__no_reload") is True

    csp = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp, csp
