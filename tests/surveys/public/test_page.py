"""The public survey page (issue 12): the answer page, one-click scores, edits until expiry, expired and
unknown links, bad input, localization, bounded queries. Anonymous clients, real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from support.models import Ticket
from surveys.models import SurveyResponse
from surveys.sending.models import Invitation, InvitationStatus
from surveys.tokens import new_token
from tests.surveys.public.factory import make_link

pytestmark = pytest.mark.django_db

MAX_GET_QUERIES = 8
MAX_POST_QUERIES = 14


def body(response) -> str:
    return response.content.decode()


def stored(world, link) -> tuple[SurveyResponse | None, Invitation]:
    with world.scope():
        return (SurveyResponse.objects.filter(invitation=link.invitation).first(),
                Invitation.objects.get(pk=link.invitation.pk))


def checked_score(html: str) -> str | None:
    found = re.search(r'value="(\d+)" checked', html)
    return found.group(1) if found else None


def test_the_page_shows_the_question_scale_comment_box_and_brand_colour(world_a):
    link = make_link(world_a, kind="csat")
    response = Client().get(link.url)
    html = body(response)
    assert response.status_code == 200
    assert "How did we do?" in html and 'lang="en"' in html
    assert re.findall(r'type="radio" name="score" id="score-(\d+)"', html) == ["1", "2", "3", "4", "5"]
    assert '<textarea name="comment"' in html
    assert "--brand: #aa3300" in html and 'nonce="' in html  # the colour in a nonce'd style block
    assert "'nonce-" in response["Content-Security-Policy"]
    assert "Alpha Analytics" in html  # who asks
    assert "no-store" in response["Cache-Control"]
    # No third-party asset, not the staff layout.
    assert not re.search(r'(src|href)="(https?:)?//', html) and 'class="topbar"' not in html
    _, invitation = stored(world_a, link)
    assert invitation.opened_at is not None  # the first visit
    first = invitation.opened_at
    Client().get(link.url)
    assert stored(world_a, link)[1].opened_at == first


@pytest.mark.parametrize(("kind", "scores", "ends"), [
    ("nps", list(range(0, 11)), ("0 = Not at all likely", "10 = Extremely likely")),
    ("ces", list(range(1, 8)), ("1 = Very difficult", "7 = Very easy")),
])
def test_each_kind_has_its_scale_and_labelled_ends(world_a, kind, scores, ends):
    html = body(Client().get(make_link(world_a, kind=kind).url))
    assert re.findall(r'id="score-(\d+)"', html) == [str(s) for s in scores]
    assert ends[0] in html and ends[1] in html
    # Screen readers hear the ends with the first and last radio; the fieldset has a legend.
    assert re.search(rf'id="score-{scores[0]}"[^>]*aria-describedby="scale-low"', html, re.S)
    assert re.search(rf'id="score-{scores[-1]}"[^>]*aria-describedby="scale-high"', html, re.S)
    assert "<legend>" in html


def test_one_click_score_from_the_email_is_recorded_on_arrival(world_a):
    link = make_link(world_a, kind="csat", language="en")
    response = Client().get(link.url + "?score=2")
    html = body(response)
    assert response.status_code == 200
    answer, invitation = stored(world_a, link)
    assert (answer.score, answer.source, answer.comment) == (2, "email", "")
    assert invitation.status == InvitationStatus.ANSWERED
    assert checked_score(html) == "2"
    assert "Your score of 2 has been recorded" in html
    # The low band's follow-up is shown at once, with the comment box.
    assert re.search(r'<div class="field followup" id="followup">\s*<label[^>]*>What should we fix\?</label>', html)
    # Each radio carries its band's follow-up for the script that swaps it when another score is chosen.
    assert re.search(r'value="5"\s+data-followup="What did you like\?"', html)
    # The email's other score later: the same response, edited.
    Client().get(link.url + "?score=5")
    again, _ = stored(world_a, link)
    assert (again.pk, again.score) == (answer.pk, 5)


def test_submitting_records_and_resubmitting_edits_the_same_response_until_expiry(world_a):
    contact = world_a.contacts[1]
    with world_a.scope():
        ticket = Ticket.objects.create(tenant=world_a.tenant, external_id="T-9", contact=contact,
                                       account=contact.account, channel="email", subject="Export fails",
                                       created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    link = make_link(world_a, kind="nps", contact=contact, ticket=ticket, language="en")
    client = Client()
    response = client.post(link.url, {"score": "9", "comment": "Great\r\nsupport", "followup_answer": ""})
    assert response.status_code == 200
    html = body(response)
    assert "Thanks a lot!" in html and "You can change your answer until" in html  # the survey's thank-you
    answer, invitation = stored(world_a, link)
    assert (answer.score, answer.comment, answer.source, answer.language) == (9, "Great\nsupport", "page", "en")
    assert (answer.contact_id, answer.account_id, answer.ticket_id) == (contact.pk, contact.account_id, ticket.pk)
    assert (answer.survey_id, invitation.status) == (link.invitation.survey_id, InvitationStatus.ANSWERED)
    assert "Update my answer" in html and checked_score(html) == "9"
    client.post(link.url, {"score": "3", "comment": "Changed my mind", "followup_answer": "Speed"})
    edited, _ = stored(world_a, link)
    assert (edited.pk, edited.score, edited.comment, edited.followup_answer) == (answer.pk, 3, "Changed my mind",
                                                                                 "Speed")
    # The first answer's time stays (it is counted in the period it was given); updated_at moves.
    assert edited.submitted_at == answer.submitted_at and edited.updated_at > answer.updated_at
    with world_a.scope():
        assert SurveyResponse.objects.filter(invitation=link.invitation).count() == 1
    # The follow-up of the stored score's band (NPS 3: detractor) shows without JavaScript.
    page = body(client.get(link.url))
    assert checked_score(page) == "3" and ">What should we fix?</label>" in page and "Changed my mind" in page


def test_the_ticket_subject_is_shown_only_for_the_contacts_own_ticket(world_a):
    own, other = world_a.contacts[0], world_a.contacts[1]
    with world_a.scope():
        mine = Ticket.objects.create(tenant=world_a.tenant, external_id="T-own", contact=own, account=own.account,
                                     channel="email", subject="My export", created_at=dt.datetime.now(dt.UTC))
        theirs = Ticket.objects.create(tenant=world_a.tenant, external_id="T-other", contact=other,
                                       account=other.account, channel="email", subject="Someone else's problem",
                                       created_at=dt.datetime.now(dt.UTC))
    assert "About your request: My export" in body(Client().get(make_link(world_a, contact=own, ticket=mine).url))
    html = body(Client().get(make_link(world_a, contact=own, ticket=theirs).url))
    assert "Someone else" not in html and "About your request" not in html
    assert other.name not in html and other.email not in html


def test_expired_link_is_a_clear_page_and_takes_no_answer(world_a):
    link = make_link(world_a, sent_ago=dt.timedelta(days=30), expires_in=dt.timedelta(days=-2))
    response = Client().get(link.url)
    assert response.status_code == 410 and "This link has expired" in body(response)
    assert "You answered on" not in body(response)
    for attempt in (Client().post(link.url, {"score": "5"}), Client().get(link.url + "?score=5")):
        assert attempt.status_code == 410
    answer, invitation = stored(world_a, link)
    assert answer is None and invitation.status == InvitationStatus.SENT and invitation.opened_at is None


def test_expired_after_answering_says_when_it_was_answered(world_a):
    link = make_link(world_a)
    Client().post(link.url, {"score": "4"})
    answer, _ = stored(world_a, link)
    with world_a.scope():
        Invitation.objects.filter(pk=link.invitation.pk).update(expires_at=answer.submitted_at)
    response = Client().post(link.url, {"score": "1", "comment": "too late"})
    local_day = answer.submitted_at.astimezone(world_a.tenant.zone).date().isoformat()
    assert response.status_code == 410
    assert f"You answered on {local_day}, thank you." in body(response)
    assert stored(world_a, link)[0].score == 4


@pytest.mark.parametrize("token", ["abc", "x" * 200, "not-a-token-at-all-nope!", "%E2%80%8B" * 3,
                                   "ééééééééééééééééééééé1"])
def test_garbage_token_is_the_unknown_page_without_a_query(world_a, token, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(f"/s/{token}/")
    assert response.status_code == 404 and "This link is not valid" in body(response)


def test_unknown_token_and_unreachable_invitations_are_404(world_a):
    assert Client().get(f"/s/{new_token()[0]}/").status_code == 404
    for status in (InvitationStatus.SCHEDULED, InvitationStatus.SUPPRESSED):
        link = make_link(world_a, status=status)
        for response in (Client().get(link.url), Client().post(link.url, {"score": "5"}),
                         Client().get(link.opt_out_url)):
            assert response.status_code == 404 and "This link is not valid" in body(response)
        assert stored(world_a, link)[0] is None
    # The stored hash is not a token: a reader of the database cannot answer anyone's survey.
    link = make_link(world_a)
    assert Client().get(f"/s/{link.invitation.token_hash}/").status_code == 404


HUGE = "x" * 5001


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"score": "6"}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "0"}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "-1"}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "abc"}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "٣"}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "9" * 5000}, "score", "Score: must be a whole number from 1 to 5"),
    ({"score": "4.5"}, "score", "Score: must be a whole number from 1 to 5"),
    ({}, "score", "Score: choose one of the options"),
    ({"score": "\x00"}, "score", "Score: must not contain NUL characters"),
    ({"score": "4", "comment": HUGE}, "comment", "Comment: at most 5000 characters"),
    ({"score": "4", "comment": "a\x00b"}, "comment", "Comment: must not contain NUL characters"),
    ({"score": "4", "followup_answer": HUGE}, "followup_answer", "Follow-up answer: at most 5000 characters"),
    ({"score": "4", "followup_answer": "\x00"}, "followup_answer", "Follow-up answer: must not contain NUL"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(world_a, data, field, message):
    link = make_link(world_a, kind="csat")
    response = Client().post(link.url, data)
    html = body(response)
    assert response.status_code == 400
    assert 'role="alert"' in html and message in html
    assert f'id="error-{field}"' in html
    answer, invitation = stored(world_a, link)
    assert answer is None and invitation.status == InvitationStatus.SENT
    assert "\x00" not in html


def test_a_comment_of_exactly_the_limit_is_taken(world_a):
    link = make_link(world_a)
    assert Client().post(link.url, {"score": "4", "comment": "é" * 5000}).status_code == 200
    assert len(stored(world_a, link)[0].comment) == 5000


@pytest.mark.parametrize("score", ["11", "0", "x", "", "1e1", " 3 4 "])
def test_bad_one_click_score_is_a_400_and_writes_nothing(world_a, score):
    link = make_link(world_a, kind="csat")
    response = Client().get(link.url, {"score": score})
    assert response.status_code == 400 and "Score:" in body(response)
    assert stored(world_a, link)[0] is None


def test_nul_in_the_query_string_is_refused_before_the_page(world_a):
    link = make_link(world_a)
    response = Client().get(link.url + "?score=%00")
    assert response.status_code == 400 and "score" in body(response)
    assert stored(world_a, link)[0] is None


HOSTILE = ["", " ", "\x00", "0" * 4000, "-0", "+5", "5 ", "\u202e5", "🙂", "<script>alert(1)</script>", "' OR 1=1 --",
           "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "1" * 10, "NaN", "Infinity"]


def test_hostile_values_never_make_a_500(world_a, monkeypatch):
    monkeypatch.setattr("surveys.public.views.RATE_PER_IP", "1000/m")
    monkeypatch.setattr("surveys.public.views.RATE_PER_TOKEN", "1000/m")
    link = make_link(world_a, kind="nps")
    client = Client()
    for value in HOSTILE:
        for data in ({"score": value}, {"score": "7", "comment": value}, {"score": "7", "followup_answer": value},
                     {"score": [value, "3"]}, {"comment": value}):
            assert client.post(link.url, data).status_code in (200, 400), data
        assert client.get(link.url, {"score": value}).status_code in (200, 400), value
        # A NUL in the query string is the middleware's 400 (cs_platform.middleware), anything else is ignored.
        assert client.get(link.url, {"from": value, "other": value}).status_code == (400 if "\x00" in value else 200)
    html = body(client.get(link.url))
    assert "<script>alert(1)</script>" not in html
    with world_a.scope():
        assert SurveyResponse.objects.filter(invitation=link.invitation).count() == 1


def test_turkish_invitation_gets_turkish_chrome_and_the_turkish_survey_text(world_a):
    link = make_link(world_a, language="tr")
    html = body(Client().get(link.url))
    assert '<html lang="tr">' in html
    assert "Nasıldık?" in html and "How did we do?" not in html
    assert "Yanıtımı gönder" in html and "Bana anket e-postası gönderme" in html
    assert "1 = Hiç memnun değilim" in html
    bad = Client().post(link.url, {"score": "9"}, headers={"Accept-Language": "en"})
    assert "Puan: 1 ile 5 arasında bir tam sayı olmalı" in body(bad)


def test_a_language_without_survey_text_falls_back_and_marks_the_question_language(world_a):
    link = make_link(world_a, language="ta")  # the survey has en and tr texts only
    html = body(Client().get(link.url))
    assert '<html lang="ta">' in html and "என் பதிலை அனுப்பு" in html
    assert re.search(r'<h1 lang="en">How did we do\?</h1>', html)
    chinese = body(Client().get(make_link(world_a, language="zh-CN").url))
    assert '<html lang="zh-Hans">' in chinese and "提交我的回答" in chinese


def test_the_unknown_page_speaks_the_browsers_language(world_a):
    response = Client().get(f"/s/{new_token()[0]}/", headers={"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"})
    assert '<html lang="tr">' in body(response) and "Bu bağlantı geçerli değil" in body(response)
    response = Client().get("/s/short/", headers={"Accept-Language": "de, " * 400})  # too long: English
    assert '<html lang="en">' in body(response)


def test_queries_are_bounded_per_page(world_a):
    link = make_link(world_a, kind="nps")
    client = Client()
    with CaptureQueriesContext(connection) as first:
        assert client.get(link.url).status_code == 200
    with CaptureQueriesContext(connection) as posting:
        assert client.post(link.url, {"score": "8", "comment": "ok"}).status_code == 200
    with CaptureQueriesContext(connection) as editing:
        assert client.post(link.url, {"score": "9", "comment": "better"}).status_code == 200
    with CaptureQueriesContext(connection) as one_click:
        assert client.get(link.url + "?score=10").status_code == 200
    with CaptureQueriesContext(connection) as opt_out:
        assert client.get(link.opt_out_url).status_code == 200
    assert len(first) <= MAX_GET_QUERIES, [q["sql"] for q in first]
    assert max(len(posting), len(editing), len(one_click)) <= MAX_POST_QUERIES, [q["sql"] for q in posting]
    assert len(opt_out) <= 4


def test_the_page_shows_the_surveys_logo_within_the_same_query_bound(world_a):
    from surveys.branding.services import set_logo
    from tests.surveys.images import png

    link = make_link(world_a)
    assert 'class="logo"' not in body(Client().get(link.url))  # no logo: no image
    with world_a.scope():
        logo = set_logo(tenant=world_a.tenant, survey=link.invitation.survey, data=png(8, 4), by=None)
    with CaptureQueriesContext(connection) as queries:
        html = body(Client().get(link.url))
    assert f'<img class="logo" src="/survey-logos/{world_a.tenant.slug}/{logo.pk}-{logo.key}"' in html
    assert len(queries) <= MAX_GET_QUERIES
    logo_file = Client().get(f"/survey-logos/{world_a.tenant.slug}/{logo.pk}-{logo.key}")
    assert logo_file.status_code == 200 and logo_file["Content-Type"] == "image/png"
