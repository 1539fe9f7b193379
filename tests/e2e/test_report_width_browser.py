"""The support report pages at 1280 px in chromium: every figure is on the screen without scrolling sideways
(the single table of 17 columns was 2,430 px wide and hid resolution, SLA, utilization, QA and CSAT behind a
horizontal scroll). Checked on the page as a whole and on every report table, with several agents and teams
whose names are long."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wide_data(transactional_db) -> dict:
    from support.models import Agent, Team
    tenant = TenantFactory(slug="e2e-wide", name="E2E Wide", timezone="America/Los_Angeles")
    at = dt.datetime.combine(timezone.now().astimezone(tenant.zone).date().replace(day=1), dt.time(12),
                             tzinfo=tenant.zone)
    with tenant_scope(tenant):
        user = UserFactory(username="admin@wide.test", email="admin@wide.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.ADMIN)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="alpha")
        ContactFactory(account=account, external_id="c-1", name="Carla Customer")
        team = Team.objects.create(tenant=tenant, name="Enterprise escalations and onboarding support")
        for i in range(6):
            email = f"agent-with-a-long-address-{i}@support.example.com"
            Agent.objects.create(tenant=tenant, email=email, name=f"Agent Number {i} With A Long Name", team=team)
            ticket = upsert_ticket(tenant=tenant, data=TicketData(external_id=f"t{i}", contact="c-1",
                                                                  channel="email", created_at=at)).obj
            append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
                external_id=f"t{i}-in", channel="email", direction="inbound", author_type="contact", started_at=at))
            append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
                external_id=f"t{i}-out", channel="email", direction="outbound", author_type="agent", agent=email,
                started_at=at + dt.timedelta(minutes=5 + i), handle_seconds=3725 + i))
    return {"tenant": tenant}


OVERFLOW = """() => {
  const page = document.scrollingElement;
  // A table wider than the screen, or one scrolling inside its own box (.table-scroll), hides figures too.
  const tables = [...document.querySelectorAll('main table, main .table-scroll')]
    .filter(t => t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > page.clientWidth)
    .map(t => t.dataset.section || t.className);
  // A figure spilling out of its cell (a squeezed fixed-layout table) would be cut off or overlap the next.
  const cells = [...document.querySelectorAll('main td, main th')]
    .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.dataset.metric || c.textContent.trim());
  return {page: [page.scrollWidth, page.clientWidth], tables, cells};
}"""


@pytest.mark.parametrize("path", ["agents/", "teams/", "management/"])
def test_report_figures_fit_a_1280_px_screen(live_server, wide_data, browser_page, path):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin@wide.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/t/e2e-wide/support/reports/{path}")
    # Every figure of the page is there, then nothing is wider than the screen.
    assert page.locator('#results td[data-metric="utilization"]').count() >= 1
    assert page.locator('#results td[data-metric="csat_pct"]').count() >= 1
    found = page.evaluate(OVERFLOW)
    scroll_width, client_width = found["page"]
    assert scroll_width <= client_width, found
    assert not found["tables"], found
    assert not found["cells"], found
