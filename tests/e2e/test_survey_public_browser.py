"""Issue 12: a customer answers a CSAT from the emailed link on a phone, in Turkish, with the keyboard only,
in Debian's chromium; then the stored response is checked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tenancy import tenant_scope
from support.models import Ticket
from surveys.models import SurveyResponse
from surveys.sending.models import Invitation, InvitationStatus, Trigger
from surveys.services import SurveyData, TextData, save_survey
from surveys.tokens import answer_path, new_token
from tests.e2e.conftest import off_the_event_loop
from tests.factories import AccountFactory, ContactFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def link(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-survey", name="Beta Yazılım", timezone="Europe/Istanbul")
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, name="Kuzey AŞ", external_id="kuzey")
        contact = ContactFactory(account=account, external_id="ayse", name="Ayşe Yılmaz", email="ayse@kuzey.test",
                                 language="tr")
        ticket = Ticket.objects.create(tenant=tenant, external_id="T-42", contact=contact, account=account,
                                       channel="email", subject="Fatura indirilemiyor",
                                       created_at=timezone.now() - dt.timedelta(days=1))
        survey = save_survey(tenant=tenant, survey=None, data=SurveyData(
            kind="csat", name="Destek CSAT", brand_colour="#c2410c", texts=[
                TextData(language="en", question="How did we do?", followup_high="What did you like?"),
                TextData(language="tr", question="Destek ekibimizden ne kadar memnun kaldınız?",
                         followup_low="Neyi düzeltmeliyiz?", followup_high="En çok neyi beğendiniz?",
                         thank_you="Çok teşekkürler, Ayşe!")]))
        token, token_hash = new_token()
        now = timezone.now()
        invitation = Invitation.objects.create(
            tenant=tenant, survey=survey, contact=contact, account=account, ticket=ticket,
            trigger=Trigger.TICKET_RESOLVED, status=InvitationStatus.SENT, send_after=now, language="tr",
            token_hash=token_hash, sent_at=now, expires_at=now + dt.timedelta(days=28))
    return {"tenant": tenant, "invitation": invitation, "token": token, "contact": contact, "ticket": ticket}


def test_a_customer_answers_a_turkish_csat_on_a_phone_with_the_keyboard(live_server, link, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + answer_path(link["token"]))
    assert page.get_attribute("html", "lang") == "tr"
    expect(page.locator("h1")).to_have_text("Destek ekibimizden ne kadar memnun kaldınız?")
    expect(page.locator(".about")).to_contain_text("Fatura indirilemiyor")
    expect(page.locator("legend")).to_contain_text("Destek ekibimizden")
    # Fits the phone: no sideways scrolling, touch targets of at least 44 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for label in page.locator(".choice label").all():
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
    # The brand colour reached the page (nonce'd style block, no CSP violation: the console stays clean).
    assert page.evaluate("getComputedStyle(document.querySelector('button.primary')).backgroundColor") \
        == "rgb(194, 65, 12)"
    expect(page.locator("#followup")).to_be_hidden()

    # Keyboard only: Tab into the scale, Space chooses 1, arrows move the choice to 4.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "score-1"
    focus_ring = page.evaluate("getComputedStyle(document.activeElement.nextElementSibling).outlineStyle")
    assert focus_ring == "solid"  # the focused score is visibly marked
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "score-4"
    expect(page.locator("#score-4")).to_be_checked()
    # The high band's follow-up appears at once (the page's own script).
    expect(page.locator("#followup-label")).to_have_text("En çok neyi beğendiniz?")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "followup_answer"
    page.keyboard.type("Hızlı yanıt")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    page.keyboard.type("Harika destek, teşekkürler")
    page.keyboard.press("Tab")
    expect(page.locator("button.primary")).to_be_focused()
    expect(page.locator("button.primary")).to_have_text("Yanıtımı gönder")
    page.keyboard.press("Enter")

    expect(page.locator("#notice")).to_contain_text("Çok teşekkürler, Ayşe!")
    expect(page.locator("[role=status]")).to_contain_text("tarihine kadar değiştirebilirsiniz")
    expect(page.locator("#score-4")).to_be_checked()
    expect(page.locator("button.primary")).to_have_text("Yanıtımı güncelle")

    def stored():
        with tenant_scope(link["tenant"]):
            response = SurveyResponse.objects.get(invitation=link["invitation"])
            status = Invitation.objects.get(pk=link["invitation"].pk).status
            return (response.score, response.comment, response.followup_answer, response.source, response.language,
                    response.contact_id, response.ticket_id, status)

    assert off_the_event_loop(stored) == (4, "Harika destek, teşekkürler", "Hızlı yanıt", "page", "tr",
                                          link["contact"].pk, link["ticket"].pk, InvitationStatus.ANSWERED)
    page.goto("about:blank")
