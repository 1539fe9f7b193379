"""One journey per role (CSM, agent, manager) in a real browser: log in, land on the role's home, open every
menu of the top bar and walk every link in it. On every page: it loaded (200, its heading shown), the top
bar holds on one line at 1280x800, and the console shows no error and no CSP violation (the shared page
fixture, tests/e2e/conftest.py, checks every page; here each page is checked as soon as it is left)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from support.models import Agent
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-journey-pw-3"
SLUG = "e2e-journey"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What each role's home shows first (accounts.workspace and support.desk.home register them).
HOME_SECTIONS = {
    Role.CSM: ["#home-my-accounts"],
    Role.AGENT: ["#home-queue", "#home-sla-warnings"],
    Role.MANAGER: ["#home-arr-by-stage", "#home-renewals", "#home-tickets-by-sla"],
}


@pytest.fixture
def journey_data(transactional_db) -> dict:
    tenant = TenantFactory(slug=SLUG, name="Journey Tenant", timezone="Europe/Paris")
    with tenant_scope(tenant):
        users = {}
        for role in HOME_SECTIONS:
            users[role] = UserFactory(username=f"{role}@journey.test", email=f"{role}@journey.test",
                                      password=PASSWORD, first_name=role.capitalize(), last_name="Journey")
            MembershipFactory(tenant=tenant, user=users[role], role=role)
        Agent.objects.create(tenant=tenant, email="agent@journey.test", name="Agent Journey", user=users[Role.AGENT])
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="j-alpha", owner_csm=users[Role.CSM])
        AccountFactory(tenant=tenant, name="Beta Industries", external_id="j-beta")
        ContactFactory(account=account, external_id="grace", name="Grace Hopper", email="grace@alpha.test")
        ticket = upsert_ticket(tenant=tenant, data=TicketData(
            external_id="T-1", contact="grace", channel="email", subject="Export keeps failing",
            assignee="agent@journey.test", created_at=timezone.now() - dt.timedelta(hours=1))).obj
        append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
            external_id="in-1", channel="email", direction="inbound", author_type="contact",
            body="The CSV export fails.", started_at=timezone.now() - dt.timedelta(minutes=50)))
    return {"tenant": tenant}


def assert_top_bar_on_one_line(page, where: str) -> None:
    tops = page.evaluate("[...document.querySelectorAll('.topbar > *, .topnav > .nav-item')].map(e => e.offsetTop"
                         " + e.offsetHeight / 2)")
    assert tops and max(tops) - min(tops) < 4, f"top bar wraps on {where}: item middles at {tops}"
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.topnav')).lineHeight)")
    height = page.evaluate("document.querySelector('.topnav').offsetHeight")
    assert height < 2 * line, f"top bar nav is {height}px high on {where} (one line is {line}px)"


@pytest.mark.parametrize("role", list(HOME_SECTIONS))
def test_role_journey_through_home_and_every_menu_link(live_server, journey_data, browser_page, role):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", f"{role}@journey.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/t/{SLUG}/$"))
    for section in HOME_SECTIONS[role]:
        expect(page.locator(section)).to_be_visible()
    if role == Role.CSM:
        expect(page.locator("#my-accounts")).to_contain_text("Alpha Corp")
        expect(page.locator("#my-accounts")).not_to_contain_text("Beta Industries")
    if role == Role.AGENT:
        expect(page.locator("#queue")).to_contain_text("Export keeps failing")
    assert_top_bar_on_one_line(page, "the home")
    page.console.assert_clean("the home")

    # Each menu opens on a click (no script: <details>), and opening one closes the other.
    menus = page.locator("nav.topnav details.menu")
    assert menus.count() >= 2
    links: list[str] = []
    for i in range(menus.count()):
        menus.nth(i).locator("summary").click()
        entries = menus.nth(i).locator("ul a")
        expect(entries.first).to_be_visible()
        links += [entries.nth(j).get_attribute("href") for j in range(entries.count())]
        assert page.locator("nav.topnav details.menu[open]").count() == 1
    assert len(links) == len(set(links)) and all(href.startswith(f"/t/{SLUG}/") for href in links)

    for href in links:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, (href, response and response.status)
        expect(page.locator("main h1").first).to_be_visible()
        assert_top_bar_on_one_line(page, href)
        page.console.assert_clean(href)
    page.goto("about:blank")  # no request in flight while the live server and its database shut down
