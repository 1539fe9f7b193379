"""Pages of the triggers: the ticket page's CSAT panel with the agent's skip, and the campaign pages
(permissions, bad input a 400 naming the field with nothing written, bounded queries, htmx partials)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from surveys.models import Campaign, Invitation, SkippedTicket, SurveyResponse
from surveys.triggers.campaigns import run_campaigns
from surveys.triggers.resolution import schedule_resolved_tickets
from tests.factories import MembershipFactory, UserFactory
from tests.surveys.helpers import make_survey
from tests.surveys.triggers.helpers import NOW, hours, set_status, ticket

HX = {"HX-Request": "true"}


def agent_member(world):
    with world.scope():
        return MembershipFactory(tenant=world.tenant, role=Role.AGENT, user=UserFactory(username="ag@alpha.test"))


def queries(client, url, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response


def test_ticket_page_loads_the_csat_panel_from_surveys_with_a_no_js_link(world_a):
    with world_a.scope():
        t = ticket(world_a)
    page = world_a.client_for().get(f"/t/{world_a.tenant.slug}/support/tickets/{t.pk}/").content.decode()
    url = f"/t/{world_a.tenant.slug}/surveys/tickets/{t.pk}/csat/"
    assert f'hx-get="{url}" hx-trigger="load"' in page and f'<a href="{url}">' in page


def test_panel_shows_each_invitation_and_the_agent_skip_toggles(world_a):
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(3))
        schedule_resolved_tickets(tenant=world_a.tenant, now=NOW - hours(2))
        set_status(world_a, t, "open", NOW - hours(1.5))
        set_status(world_a, t, "resolved", NOW - hours(1))
        schedule_resolved_tickets(tenant=world_a.tenant, now=NOW)
        answered = Invitation.objects.get(status="scheduled")
        Invitation.objects.filter(pk=answered.pk).update(status="answered")
        SurveyResponse.objects.create(tenant=world_a.tenant, survey=answered.survey, contact=answered.contact,
                                      account=answered.account, ticket=t, score=4, comment="Quick fix",
                                      submitted_at=NOW, invitation=answered)
    url = f"/t/{world_a.tenant.slug}/surveys/tickets/{t.pk}/csat/"
    agent = world_a.client_for(agent_member(world_a))
    body = agent.get(url, headers=HX).content.decode()
    assert "<html" not in body and 'id="ticket-csat"' in body
    assert "Ticket reopened before sending" in body and "score 4" in body and "Quick fix" in body
    assert "<html" in agent.get(url).content.decode()  # without JS: the whole page
    response = agent.post(url, {"skip": "on"}, headers=HX)
    assert response.status_code == 200 and "No CSAT survey is sent for this ticket" in response.content.decode()
    assert agent.post(url, {"skip": "on"}, headers=HX).status_code == 200  # again: still one row
    with world_a.scope():
        assert SkippedTicket.objects.get().created_by.username == "ag@alpha.test"
    assert agent.post(url, {"skip": "maybe"}, headers=HX).status_code == 400
    assert world_a.client_for(world_a.viewer).post(url, {"skip": "off"}).status_code == 403
    assert world_a.client_for(world_a.csm).post(url, {"skip": "off"}).status_code == 403  # CSMs do not answer tickets
    assert agent.post(url, {"skip": "off"}).status_code == 302
    with world_a.scope():
        assert not SkippedTicket.objects.exists()


def test_panel_queries_are_bounded(world_a):
    with world_a.scope():
        t = ticket(world_a)
    url = f"/t/{world_a.tenant.slug}/surveys/tickets/{t.pk}/csat/"
    client = world_a.client_for()
    few, _ = queries(client, url, headers=HX)
    with world_a.scope():
        for i in range(6):
            set_status(world_a, t, "resolved", NOW - hours(20 - 2 * i))
            schedule_resolved_tickets(tenant=world_a.tenant, now=NOW - hours(19 - 2 * i))
            set_status(world_a, t, "open", NOW - hours(19.5 - 2 * i))
        schedule_resolved_tickets(tenant=world_a.tenant, now=NOW)  # cancels the last one
    many, response = queries(client, url, headers=HX)
    assert response.content.decode().count("Ticket reopened before sending") == 6
    assert many <= few + 1  # + the responses' prefetch, once rows exist


def form(**over):
    body = {"survey": "", "name": "Q4 NPS", "window_days": "7", "repeat_months": "", "segment-q": "",
            "segment-stage": "", "segment-tier": "", "segment-owner": "", "segment-renewal": ""}
    return body | over


def test_campaign_pages_create_preview_start_and_pause(world_a):
    survey = make_survey(world_a, kind="nps")
    base = f"/t/{world_a.tenant.slug}/surveys/campaigns/"
    client = world_a.client_for(world_a.csm)
    page = client.get(base + "new/?segment-tier=premium").content.decode()
    assert "Matches now: <strong>1</strong> account(s), <strong>1</strong>" in page
    response = client.post(base + "new/", form(survey=survey.pk, **{"segment-tier": "premium", "repeat_months": "6"}))
    assert response.status_code == 302
    with world_a.scope():
        c = Campaign.objects.get()
        assert (c.segment, c.repeat_months, c.status, c.created_by) == ({"tier": "premium"}, 6, "draft",
                                                                       world_a.csm.user)
    detail = client.get(f"{base}{c.pk}/").content.decode()
    assert "Tier: premium" in detail and "1 account(s), 1 contact(s)" in detail
    assert client.post(f"{base}{c.pk}/start/").status_code == 302
    with world_a.scope():
        run_campaigns(tenant=world_a.tenant, now=NOW)
    response = client.post(f"{base}{c.pk}/start/")
    assert response.status_code == 400 and "a running campaign cannot be started" in response.content.decode()
    assert client.post(f"{base}{c.pk}/pause/").status_code == 302
    detail = client.get(f"{base}{c.pk}/").content.decode()
    assert "Campaign paused or finished" in detail and "Last paused by" in detail and "Resume" in detail
    with world_a.scope():
        assert Invitation.objects.get().suppressed_reason == "campaign_stopped"
    listing = client.get(base, headers=HX).content.decode()
    assert "<html" not in listing and "Q4 NPS" in listing


def test_campaign_bad_input_is_a_400_naming_the_field_and_writes_nothing(world_a):
    survey = make_survey(world_a, kind="nps")
    other = make_survey(world_a, kind="csat", name="Any kind")
    base = f"/t/{world_a.tenant.slug}/surveys/campaigns/new/"
    client = world_a.client_for()
    for over, message in [
        ({"survey": survey.pk, "window_days": "91"}, "less than or equal to 90"),
        ({"survey": survey.pk, "repeat_months": "0"}, "greater than or equal to 1"),
        ({"survey": "999999"}, "Select a valid choice"),
        ({"survey": survey.pk, "segment-stage": "nonsense"}, "Select a valid choice"),
        ({"survey": survey.pk, "segment-owner": "999999"}, "Select a valid choice"),
        ({"survey": survey.pk, "name": ""}, "This field is required"),
        ({"survey": other.pk, "name": "n\x00ul"}, "Null characters are not allowed"),
    ]:
        response = client.post(base, form(**over))
        assert response.status_code == 400, over
        assert message in response.content.decode(), over
    with world_a.scope():
        assert not Campaign.objects.exists()


def test_campaign_permissions(world_a):
    survey = make_survey(world_a, kind="nps")
    base = f"/t/{world_a.tenant.slug}/surveys/campaigns/"
    world_a.client_for().post(base + "new/", form(survey=survey.pk))
    with world_a.scope():
        c = Campaign.objects.get()
    viewer = world_a.client_for(world_a.viewer)
    assert viewer.get(base).status_code == 200 and viewer.get(f"{base}{c.pk}/").status_code == 200
    assert viewer.get(base + "new/").status_code == 403
    assert viewer.post(f"{base}{c.pk}/edit/", form(survey=survey.pk, name="Hijack")).status_code == 403
    assert viewer.post(f"{base}{c.pk}/start/").status_code == 403
    with world_a.scope():
        c.refresh_from_db()
        assert (c.name, c.status) == ("Q4 NPS", "draft")


def test_campaign_pages_queries_are_bounded(world_a):
    survey = make_survey(world_a, kind="nps")
    base = f"/t/{world_a.tenant.slug}/surveys/campaigns/"
    client = world_a.client_for()
    client.post(base + "new/", form(survey=survey.pk))
    with world_a.scope():
        first = Campaign.objects.get()
    few_list, _ = queries(client, base)
    few_detail, _ = queries(client, f"{base}{first.pk}/")
    few_edit, _ = queries(client, f"{base}{first.pk}/edit/")
    for i in range(5):
        client.post(base + "new/", form(survey=survey.pk, name=f"C{i}", window_days="1"))
    with world_a.scope():
        for c in Campaign.objects.all():
            c.status = "running"
            c.save()
        run_campaigns(tenant=world_a.tenant, now=NOW)
        Invitation.objects.filter(contact=world_a.contacts[0]).update(status="suppressed",
                                                                      suppressed_reason="opted_out")
    many_list, _ = queries(client, base)
    many_detail, response = queries(client, f"{base}{first.pk}/")
    assert "Contact opted out" in response.content.decode()
    assert many_list == few_list and many_detail == few_detail
    assert queries(client, f"{base}{first.pk}/edit/")[0] == few_edit


def test_skip_after_the_resolution_stops_the_waiting_invitation_and_unskip_restores_it(world_a):
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(1))
        schedule_resolved_tickets(tenant=world_a.tenant, now=NOW)
    url = f"/t/{world_a.tenant.slug}/surveys/tickets/{t.pk}/csat/"
    agent = world_a.client_for(agent_member(world_a))
    body = agent.post(url, {"skip": "on"}, headers=HX).content.decode()
    assert "Skipped on the ticket by an agent" in body
    with world_a.scope():
        assert Invitation.objects.get().suppressed_reason == "skipped_by_agent"
        schedule_resolved_tickets(tenant=world_a.tenant, now=NOW)  # the sweep leaves it as it is
        assert Invitation.objects.count() == 1
    agent.post(url, {"skip": "off"}, headers=HX)
    with world_a.scope():
        assert Invitation.objects.values_list("status", "suppressed_reason").get() == ("scheduled", "")
