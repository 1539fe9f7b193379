"""The results pages: figures with definitions and n, greyed small groups with their interval, the groupings,
the trend, comments with filters and search, non-responders by account and segment; bounded queries, htmx
partials, bad input a 400 naming the field, nothing of the other tenant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CustomerAccount
from surveys.models import Invitation, SurveyResponse
from tests.factories import ContactFactory
from tests.surveys.reports import fixtures

JANUARY = "period=custom&date_from=2026-01-01&date_to=2026-01-31"


@pytest.fixture
def data(world_a, world_b):
    fixtures.build(world_b)
    return fixtures.build(world_a)


def _get(world, path, query="", member=None, **headers):
    return world.client_for(member).get(f"/t/{world.tenant.slug}/surveys/{path}?{query}", headers=headers or None)


def _counted(world, path, query=""):
    """Queries of one page view by a signed-in client (the first request's login bookkeeping left out)."""
    client = world.client_for()
    url = f"/t/{world.tenant.slug}/surveys/{path}?{query}"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), response


def _more(world, data, n, at=None):
    """``n`` more answered invitations with comments, each of a new contact of a new account."""
    t = world.tenant
    with world.scope():
        for i in range(n):
            account = CustomerAccount.objects.create(tenant=t, external_id=f"more-{i}-{n}", name=f"More {i}",
                                                     tier="gold", lifecycle_stage="mature")
            contact = ContactFactory(tenant=t, account=account, external_id=f"more-{i}-{n}")
            sent = at or fixtures.local(2026, 1, 12)
            inv = Invitation.objects.create(tenant=t, survey=data["csat"], contact=contact, account=account,
                                            trigger="staff", status="sent", send_after=sent, sent_at=sent)
            if i % 2:
                SurveyResponse.objects.create(tenant=t, survey=data["csat"], contact=contact, account=account,
                                              score=1 + i % 5, submitted_at=sent, invitation=inv,
                                              comment=f"more comment {i}")


def test_report_page_shows_figures_with_n_interval_and_definitions(world_a, data):
    response = _get(world_a, "reports/", JANUARY, member=world_a.viewer)
    assert response.status_code == 200
    body = response.content.decode()
    assert "50.0%" in body and "n=4, average 3.50" in body  # CSAT
    assert "n=5 (2 promoters, 1 passives, 2 detractors)" in body  # NPS
    assert "greyed" in body and "90% interval 18.2 to 81.8" in body  # n < 10
    assert "2 of 4 answered" in body and "50.0%" in body  # response rate
    assert "Contact opted out" in body and 'id="suppressed-reasons"' in body
    assert "100 * count(score &gt;= 4) / count(*)" in body  # the definition
    assert 'id="survey-trend"' in body and "<svg" in body and "2026-01" in body


@pytest.mark.parametrize(("group_by", "shown"), [
    ("agent", ["Ana", "bob@alpha.test", "No agent"]), ("team", ["Red", "No team"]),
    ("channel", ["Email", "Chat", "No ticket"]), ("account", ["Acme 0", "Acme 2"]),
    ("survey", ["Support CSAT", "Effort"]), ("month", ["2026-01"]),
])
def test_report_page_groupings(world_a, data, group_by, shown):
    body = _get(world_a, "reports/", f"{JANUARY}&group_by={group_by}").content.decode()
    for name in shown:
        assert f">{name}<" in body, name
    assert 'aria-current="page">' + {"agent": "Agent", "team": "Team", "channel": "Channel", "account": "Account",
                                     "survey": "Survey", "month": "Month"}[group_by] in body


def test_report_page_queries_are_bounded(world_a, data):
    counts = []
    for extra in (0, 12):
        if extra:
            _more(world_a, data, extra)
        n, _response = _counted(world_a, "reports/", f"{JANUARY}&group_by=account")
        counts.append(n)
    assert counts[0] == counts[1] and counts[1] <= 12, counts  # 6 report queries, the page's own


@pytest.mark.parametrize(("query", "message"), [
    ("period=custom&date_from=2026-02-01&date_to=2026-01-01", "Must not be before"),
    ("period=custom&date_from=nonsense&date_to=2026-01-01", "Enter a valid date"),
    ("group_by=week", "Select a valid choice"),
])
def test_report_page_bad_input_is_400_naming_the_field(world_a, query, message):
    response = _get(world_a, "reports/", query)
    assert response.status_code == 400 and message in response.content.decode()


def test_report_partial_for_htmx(world_a, data):
    response = _get(world_a, "reports/", JANUARY, HX_Request="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="survey-report"' in body


def test_survey_list_links_the_results(world_a):
    body = _get(world_a, "").content.decode()
    for name in ("reports/", "comments/", "non-responders/"):
        assert f"/t/{world_a.tenant.slug}/surveys/{name}" in body


def test_comments_filters_and_search(world_a, data):
    body = _get(world_a, "comments/").content.decode()
    assert "Quick and kind" in body and "Took too long" in body and "Too expensive" in body
    assert "3 comments" in body  # the other tenant's look-alikes are not here
    low = _get(world_a, "comments/", "band=low").content.decode()
    assert "Took too long" in low and "Quick and kind" not in low and "Too expensive" not in low
    detractors = _get(world_a, "comments/", "band=detractor&kind=nps").content.decode()
    assert "Too expensive" in detractors and "Took too long" not in detractors
    assert "Quick and kind" in _get(world_a, "comments/", "score=5").content.decode()
    found = _get(world_a, "comments/", "q=LONG").content.decode()
    assert "Took too long" in found and "1 comment." in found
    december = _get(world_a, "comments/", "date_from=2026-01-06&date_to=2026-01-08").content.decode()
    assert "Took too long" in december and "Quick and kind" not in december
    account = world_a.contacts[0].account_id
    mine = _get(world_a, "comments/", f"account={account}").content.decode()
    assert "Took too long" in mine and "3 comments" in mine and "Acme 1" not in mine  # contacts 0 and 3


def test_comments_account_filter_of_another_tenant_shows_nothing(world_a, world_b, data):
    with world_b.scope():
        theirs = world_b.contacts[0].account_id
    body = _get(world_a, "comments/", f"account={theirs}").content.decode()
    assert "0 comments" in body and "Took too long" not in body


@pytest.mark.parametrize(("query", "message"), [
    ("score=11", "less than or equal to 10"), ("kind=stars", "Select a valid choice"),
    ("date_from=2026-02-01&date_to=2026-01-01", "Must not be before"), ("q=" + "x" * 201, "at most 200"),
    ("account=99999999999999999999999", "less than or equal to"),
])
def test_comments_bad_input_is_400(world_a, query, message):
    response = _get(world_a, "comments/", query)
    assert response.status_code == 400 and message in response.content.decode()


def test_comments_queries_are_bounded_and_paginated(world_a, data):
    counts = []
    for extra in (0, 120):
        if extra:
            _more(world_a, data, extra)
        n, response = _counted(world_a, "comments/")
        counts.append(n)
    assert counts[0] == counts[1] and counts[1] <= 8, counts
    assert "Page 1 of 2" in response.content.decode()
    partial = _get(world_a, "comments/", "page=2", HX_Request="true").content.decode()
    assert "<html" not in partial and "63 comments" in partial


def test_non_responders_by_account_and_segment(world_a, data):
    body = _get(world_a, "non-responders/", JANUARY).content.decode()
    # January's sent invitations: contact 0 (inv1 answered, inv2 not: answered), contact 2 (inv3 answered in
    # February), contact 1 (inv4, unanswered) -> 3 invited, 2 answered, 1 non-responder (Acme 1).
    assert "3 invited, 2 answered, <strong>1</strong> non-responders" in body
    rows = body.split('id="non-responders"')[1].split("</table>")[0]
    assert rows.index("Acme 1") < rows.index("Acme 0")  # most non-responders first
    premium = _get(world_a, "non-responders/", f"{JANUARY}&tier=premium").content.decode()  # acc-1 is premium
    assert "1 invited, 0 answered, <strong>1</strong> non-responders" in premium and "Acme 0" not in premium
    assert 'id="by-tier"' in body and ">premium<" in body and ">standard<" in body


def test_non_responders_queries_are_bounded(world_a, data):
    counts = []
    for extra in (0, 60):
        if extra:
            _more(world_a, data, extra)
        n, response = _counted(world_a, "non-responders/", JANUARY)
        counts.append(n)
    assert counts[0] == counts[1] and counts[1] <= 12, counts
    assert "Page 1 of 2" in response.content.decode()


def test_non_responders_bad_input(world_a):
    response = _get(world_a, "non-responders/", "stage=zombie")
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_pages_need_membership(world_a, world_b):
    client = world_b.client_for()
    for path in ("reports/", "comments/", "non-responders/"):
        assert client.get(f"/t/{world_a.tenant.slug}/surveys/{path}").status_code in (403, 404)


def test_dates_are_local(world_a, data):
    assert dt.date(2026, 1, 31)  # the 23:30 local answer is January's on the page too
    body = _get(world_a, "reports/", "period=custom&date_from=2026-01-31&date_to=2026-01-31").content.decode()
    assert "n=1, average 3.00" in body


def test_report_csv_is_the_selector_unrounded(world_a, data):
    response = _get(world_a, "reports/", f"{JANUARY}&group_by=agent&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("group,name,nps,nps_n")
    ana = next(line for line in lines if line.startswith("ana@alpha.test"))
    assert ",Ana," in ana and ",50.0,3.5,2," in ana
