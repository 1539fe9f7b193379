"""Pages a new user saw log a Content-Security-Policy violation (issue 11), in a real browser: the
reply box after a resize when a macro is inserted (htmx copied the box's inline ``style`` onto the
swapped-in one), and the API docs (Swagger UI's page carried an inline ``<style>``). The CSP stays
strict (style-src 'self'): each page must load and work with no console error at all."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from support.models import Macro
from support.records.data import InteractionData, TicketData
from support.records.services.tickets import append_interaction, upsert_ticket
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-csp"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def console_errors(page) -> list[str]:
    """Every console error and every CSP violation report of the page, from now on."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


def watch_violations(page) -> None:
    """Count securitypolicyviolation events too (a violation is not always echoed to the console)."""
    page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture
def desk(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-csp", name="E2E CSP", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="csp@e2e.test", email="csp@e2e.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.AGENT)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-csp-alpha")
        ContactFactory(account=account, external_id="ada", name="Ada Lovelace", email="ada@alpha.test")
        ticket = upsert_ticket(tenant=tenant, data=TicketData(external_id="T-CSP", contact="ada", channel="chat",
                                                              subject="Charts are empty",
                                                              created_at=timezone.now() - dt.timedelta(hours=1))).obj
        append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
            external_id="csp-in-1", channel="chat", direction="inbound", author_type="contact",
            body="Every chart is empty today.", started_at=timezone.now() - dt.timedelta(minutes=50)))
        Macro.objects.create(tenant=tenant, name="Looking into it", body="Hi {{ contact.first_name }}, on it.")
    return {"tenant": tenant, "ticket": ticket}


def test_macro_after_resizing_the_reply_box_logs_no_csp_violation(live_server, desk, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    watch_violations(page)
    errors = console_errors(page)
    page.goto(f"{live_server.url}/accounts/login/?next=/t/e2e-csp/support/tickets/{desk['ticket'].pk}/")
    page.fill("#id_username", "csp@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/support/tickets/{desk['ticket'].pk}/$"))
    expect(page.locator(".conversation")).to_contain_text("Every chart is empty today.")

    # Each reply option's radio sits next to its own label (it was stretched to 18rem).
    for radio in page.locator("#reply-form input[type=radio]").all():
        assert radio.bounding_box()["width"] < 40

    # Resize the reply box by its corner handle, as a person does: the browser writes an inline style.
    box = page.locator("#reply-body").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 40, box["y"] + box["height"] + 120, steps=5)
    page.mouse.up()
    assert page.locator("#reply-body").get_attribute("style"), "the drag did not resize the reply box"

    page.select_option("#id_macro", label="Looking into it")
    expect(page.locator("#reply-body")).to_have_value("Hi Ada, on it.")
    page.wait_for_timeout(300)  # htmx settles 20 ms after the swap
    assert page.evaluate("window.__csp") == []
    assert errors == []
    page.goto("about:blank")


def test_api_docs_render_with_no_csp_violation(live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    watch_violations(page)
    errors = console_errors(page)
    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI fetched the schema and drew the operations.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Customer-success platform API")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__csp") == []
    assert errors == []
    page.goto("about:blank")
