"""Each answer on the account's and the contact's timeline."""

from __future__ import annotations

from surveys.selectors import answer_title
from surveys.services import record_responses
from tests.surveys.helpers import make_survey


def test_title_quotes_the_comment_shortened():
    assert answer_title("nps", 9, "Great support") == "NPS 9 — “Great support”"
    assert answer_title("csat", 2, "") == "CSAT 2"
    assert len(answer_title("ces", 7, "x" * 500)) < 140


def test_answers_show_on_account_and_contact_pages(worlds):
    a, b = worlds
    survey = make_survey(a, name="Quarterly NPS")
    make_survey(b, name="Bravo NPS")
    with a.scope():
        record_responses(tenant=a.tenant, items=[{"survey": str(survey.pk), "contact": "user-0", "score": 9,
                                                  "comment": "Great support", "submitted_at": "2026-06-01T10:00:00Z"}])
    with b.scope():
        record_responses(tenant=b.tenant, items=[{"survey": "nps", "contact": "user-0", "score": 1,
                                                  "comment": "Bravo secret", "submitted_at": "2026-06-01T10:00:00Z"}])
    contact = a.contacts[0]
    client = a.client_for()
    for url in (f"/t/{a.tenant.slug}/accounts/{contact.account_id}/", f"/t/{a.tenant.slug}/contacts/{contact.pk}/"):
        body = client.get(url).content.decode()
        assert "NPS 9 — “Great support”" in body, url
        assert "Quarterly NPS" in body and "Bravo secret" not in body
    filtered = client.get(f"/t/{a.tenant.slug}/accounts/{contact.account_id}/?kind=ticket.opened",
                          headers={"HX-Request": "true", "HX-Target": "timeline"}).content.decode()
    assert "Great support" not in filtered
