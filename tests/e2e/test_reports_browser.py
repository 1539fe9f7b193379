"""The management report in a real browser (Debian's chromium driven by Playwright): the figures, their
definitions and the SVG charts render under the strict CSP, and the period picker swaps the period part
with htmx without reloading the page. The live server answers outside a transaction, so the report's
queries take the parallel path (cs_platform.parallel_reads) here, as in production."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _noon(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


@pytest.fixture
def report_data(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-reports", name="E2E Reports", timezone="America/Los_Angeles")
    today = timezone.now().astimezone(tenant.zone).date()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    with tenant_scope(tenant):
        user = UserFactory(username="admin@e2e.test", email="admin@e2e.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.ADMIN)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="alpha")
        ContactFactory(account=account, external_id="c-1", name="Carla Customer")
        # This month: two email interactions with handle times 120 s and 600 s; last month: one (300 s).
        for ext, day, seconds in [("now-1", this_month, 120), ("now-2", this_month, 600), ("before", last_month, 300)]:
            at = _noon(day, tenant.zone)
            ticket = upsert_ticket(tenant=tenant, data=TicketData(external_id=ext, contact="c-1", channel="email",
                                                                  created_at=at)).obj
            append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
                external_id=f"{ext}-in", channel="email", direction="inbound", author_type="contact",
                started_at=at, handle_seconds=seconds))
    return {"tenant": tenant}


def test_management_report_renders_and_the_picker_swaps_the_period(live_server, report_data, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/t/e2e-reports/support/reports/management/")

    interactions = page.locator('#results td[data-metric="interactions"] span').first
    expect(interactions).to_have_text("2")
    definition = page.locator("#results th abbr", has_text="Interactions").first
    assert "internal notes" in definition.get_attribute("title")
    expect(page.locator("#dist-handle_time svg")).to_be_visible()  # the duration histogram
    assert page.locator("svg").count() >= 5  # 4 histograms and the YTD bars

    page.evaluate("window.__no_reload = true")
    page.select_option("#id_period", "last_month")
    expect(interactions).to_have_text("1")
    expect(page).to_have_url(re.compile(r"period=last_month"))
    assert page.evaluate("window.__no_reload") is True, "the picker reloaded the page instead of swapping"
    assert not console_errors, console_errors  # a CSP violation is a console error
