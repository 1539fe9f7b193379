"""Issue 12, the whole chain in Debian's chromium: an agent resolves a ticket; the beat-driven steps run
as the worker runs them (the CSAT sweep after the delay, the sender, the outbox); the Turkish contact opens
the emailed score link on a phone-sized viewport, the score counts on arrival, they add a comment and
submit; the stored response is the one invitation's, and a low score opened the CSM's follow-up task."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import CsmTask
from accounts.tenancy import tenant_scope
from support.models import Agent
from support.records.data import StatusData, TicketData
from support.records.services.tickets import change_status, upsert_ticket
from surveys.models import Invitation, InvitationStatus, OutboxMessage, SurveyResponse
from surveys.sending.outbox import deliver_outbox
from surveys.sending.services import send_due_invitations
from surveys.triggers.resolution import schedule_resolved_tickets
from tests.e2e.conftest import off_the_event_loop
from tests.factories import AccountFactory, ContactFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def emailed(transactional_db, live_server, settings) -> dict:
    """A resolved ticket of a Turkish contact, taken through the scheduler, the sender and the outbox."""
    settings.PUBLIC_BASE_URL = live_server.url  # the links in the email point at this server
    tenant = TenantFactory(slug="e2e-chain", name="Beta Yazılım", timezone="Europe/Istanbul")
    csm = UserFactory(username="csm@beta.test")
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, name="Kuzey AŞ", external_id="kuzey", owner_csm=csm)
        contact = ContactFactory(account=account, external_id="ayse", name="Ayşe Yılmaz", email="ayse@kuzey.test",
                                 language="tr")
        agent = Agent.objects.create(tenant=tenant, email="ana@beta.test", name="Ana")
        resolved_at = timezone.now() - dt.timedelta(hours=25)  # past the default CSAT survey's 24 h delay
        ticket = upsert_ticket(tenant=tenant, data=TicketData(
            external_id="T-42", contact="ayse", channel="email", subject="Fatura indirilemiyor",
            created_at=resolved_at - dt.timedelta(hours=3))).obj
        change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=resolved_at),
                      agent=agent)
        now = timezone.now()
        assert schedule_resolved_tickets(tenant=tenant, now=now) == 1
        send_due_invitations(tenant=tenant, now=now)
        deliver_outbox(tenant=tenant, now=now)
        invitation = Invitation.objects.get()
        message = OutboxMessage.objects.get()
    assert invitation.status == InvitationStatus.SENT and invitation.language == "tr"
    assert message.status == OutboxMessage.Status.SENT and message.body_html == ""  # the token left the database
    [email] = mail.outbox
    return {"tenant": tenant, "invitation": invitation, "email": email, "contact": contact, "ticket": ticket}


def score_link(email, score: int) -> str:
    html = next(body for body, kind in email.alternatives if kind == "text/html")
    links = set(re.findall(r'href="([^"]+\?score=\d+)"', html))
    [link] = [url for url in links if url.endswith(f"?score={score}")]
    return link.replace("&amp;", "&")


def test_a_customer_answers_the_emailed_csat_on_a_phone_in_turkish(emailed, browser_page):
    from playwright.sync_api import expect

    email = emailed["email"]
    assert email.to == ["ayse@kuzey.test"]
    assert "?score=1" in email.body and "?score=5" in email.body  # the plain-text part has the scale too
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(score_link(email, 2))  # the customer taps "2" in the email

    assert page.get_attribute("html", "lang") == "tr"
    expect(page.locator("#score-2")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def stored():
        with tenant_scope(emailed["tenant"]):
            return list(SurveyResponse.objects.values_list("score", "source", "comment", "invitation_id",
                                                           "ticket_id", "language"))

    # The click alone counts (the page may never be submitted).
    assert off_the_event_loop(stored) == [(2, "email", "", emailed["invitation"].pk, emailed["ticket"].pk, "tr")]

    page.locator("#comment").fill("Fatura hâlâ inmiyor")
    page.locator("button.primary").click()
    expect(page.locator("#notice")).to_be_visible()
    assert off_the_event_loop(stored) == [(2, "page", "Fatura hâlâ inmiyor", emailed["invitation"].pk,
                                           emailed["ticket"].pk, "tr")]

    def loop():
        with tenant_scope(emailed["tenant"]):
            return list(CsmTask.objects.values_list("source_kind", "assignee__username", "contact_id"))

    # CSAT 2: the account's CSM got one follow-up task (edits did not add a second).
    assert off_the_event_loop(loop) == [("survey_response", "csm@beta.test", emailed["contact"].pk)]
    page.goto("about:blank")
