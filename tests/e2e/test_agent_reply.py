"""An agent answers with a macro in a real browser: log in, open the inbox, open the ticket, pick a
macro (htmx fills the reply box), send it (htmx swaps the conversation), see it in the timeline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from support.models import Interaction, Macro
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket
from tests.e2e.conftest import off_the_event_loop
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-2"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_data(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-desk", name="E2E Desk", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="agent@e2e.test", email="agent@e2e.test", password=PASSWORD,
                           first_name="Ana", last_name="Agent")
        MembershipFactory(tenant=tenant, user=user, role=Role.AGENT)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-alpha")
        ContactFactory(account=account, external_id="grace", name="Grace <b>Hopper</b>", email="grace@alpha.test")
        ticket = upsert_ticket(tenant=tenant, data=TicketData(external_id="T-100", contact="grace", channel="email",
                                                              subject="Export keeps failing",
                                                              created_at=timezone.now() - dt.timedelta(hours=1))).obj
        append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
            external_id="in-1", channel="email", direction="inbound", author_type="contact",
            body="The CSV export fails every time.", started_at=timezone.now() - dt.timedelta(minutes=50)))
        macro = Macro.objects.create(tenant=tenant, name="Export fix",
                                     body="Hi {{ contact.first_name }}, about {{ ticket.subject }}: fixed now.")
    return {"tenant": tenant, "ticket": ticket, "macro": macro}


@pytest.fixture
def page(desk_data, browser_page):
    return browser_page


def test_agent_replies_with_a_macro(live_server, desk_data, page):
    from playwright.sync_api import expect

    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/login/?next=/t/e2e-desk/support/inbox/")
    page.fill("#id_username", "agent@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/t/e2e-desk/support/inbox/$"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"

    page.click("#results >> text=Export keeps failing")
    page.wait_for_url(re.compile(rf"/support/tickets/{desk_data['ticket'].pk}/$"))
    expect(page.locator(".conversation")).to_contain_text("The CSV export fails every time.")
    page.evaluate("window.__no_reload = true")

    page.select_option("#id_macro", label="Export fix")
    # The macro is rendered for this ticket; the contact's name is text, not markup.
    expect(page.locator("#reply-body")).to_have_value("Hi Grace, about Export keeps failing: fixed now.")
    page.click("#reply-form button[type=submit]")

    reply = page.locator(".conversation li.outbound").last
    expect(reply).to_contain_text("Hi Grace, about Export keeps failing: fixed now.")
    expect(reply).to_contain_text("Ana Agent")
    assert page.evaluate("window.__no_reload") is True

    def stored() -> tuple[int, list[tuple[str, str]]]:
        with tenant_scope(desk_data["tenant"]):
            uses = Macro.objects.get(pk=desk_data["macro"].pk).usage_count
            rows = list(Interaction.objects.filter(direction="outbound").values_list("author_type", "body"))
        return uses, rows

    uses, rows = off_the_event_loop(stored)
    assert uses == 1
    assert rows == [("agent", "Hi Grace, about Export keeps failing: fixed now.")]
    csp = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp, csp
    page.goto("about:blank")  # no request in flight while the live server and its database shut down
