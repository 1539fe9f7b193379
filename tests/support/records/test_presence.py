"""Agent presence: the page, go online/offline, today's online time, the board; service rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from support.models import Agent, AgentSession
from support.records.selectors import online_time, presence_board
from support.records.services.agents import PresenceError, go_offline, go_online, record_session

pytestmark = pytest.mark.django_db


def test_page_creates_the_agent_and_toggles_presence(world_a):
    client = world_a.client_for(world_a.admin)
    url = reverse("agent-presence", args=[world_a.tenant.slug])
    r = client.get(url)
    assert r.status_code == 200 and b"Go online" in r.content
    with world_a.scope():
        agent = Agent.objects.get(user=world_a.admin.user)
    assert client.post(url, {"action": "online"}).status_code == 302
    with world_a.scope():
        assert AgentSession.objects.filter(agent=agent, ended_at__isnull=True).count() == 1
    client.post(url, {"action": "online"})  # twice: still one open session
    r = client.get(url)
    assert b"Go offline" in r.content and b"Online since" in r.content
    client.post(url, {"action": "offline"})
    with world_a.scope():
        assert not AgentSession.objects.filter(agent=agent, ended_at__isnull=True).exists()
        assert AgentSession.objects.filter(agent=agent).count() == 1


def test_roles_without_support_get_403(world_a):
    url = reverse("agent-presence", args=[world_a.tenant.slug])
    assert world_a.client_for(world_a.viewer).get(url).status_code == 403
    assert world_a.client_for(world_a.csm).get(url).status_code == 403


def test_online_time_is_clipped_to_the_local_day_and_board_lists_shifts(desk):
    tenant, ana, bob = desk["tenant"], desk["ana"], desk["bob"]
    zone = tenant.zone  # America/Los_Angeles
    start = dt.datetime(2025, 3, 3, tzinfo=zone)
    end = start + dt.timedelta(days=1)
    record_session(tenant=tenant, agent=ana, kind="online", started_at=start - dt.timedelta(hours=1),
                   ended_at=start + dt.timedelta(hours=2))
    record_session(tenant=tenant, agent=ana, kind="online", started_at=start + dt.timedelta(hours=10),
                   ended_at=start + dt.timedelta(hours=10, minutes=30))
    assert online_time(tenant=tenant, agent=ana, start=start, end=end) == dt.timedelta(hours=2, minutes=30)
    record_session(tenant=tenant, agent=bob, kind="scheduled", started_at=start + dt.timedelta(hours=9),
                   ended_at=start + dt.timedelta(hours=17))
    go_online(tenant=tenant, agent=ana)
    board = presence_board(tenant=tenant, start=start, end=end)
    assert [r.agent for r in board] == [ana, bob]
    assert board[0].online_since is not None and board[1].shifts
    go_offline(tenant=tenant, agent=ana)
    assert presence_board(tenant=tenant, start=start, end=end)[0].agent == bob


def test_overlapping_online_sessions_are_refused_and_a_newer_one_closes_the_open_one(desk):
    tenant, ana = desk["tenant"], desk["ana"]
    t = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    record_session(tenant=tenant, agent=ana, kind="online", started_at=t, ended_at=None)
    record_session(tenant=tenant, agent=ana, kind="online", started_at=t + dt.timedelta(hours=2), ended_at=None)
    first = AgentSession.objects.get(agent=ana, started_at=t)
    assert first.ended_at == t + dt.timedelta(hours=2)
    with pytest.raises(PresenceError):
        record_session(tenant=tenant, agent=ana, kind="online", started_at=t + dt.timedelta(hours=1),
                       ended_at=t + dt.timedelta(hours=3))


def test_htmx_buttons_swap_the_panel_and_plain_posts_still_redirect(world_a):
    client = world_a.client_for(world_a.admin)
    url = reverse("agent-presence", args=[world_a.tenant.slug])
    page = client.get(url).content.decode()
    assert f'hx-post="{url}"' in page and 'hx-target="#presence-panel"' in page and f'action="{url}"' in page
    r = client.post(url, {"action": "online"}, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="presence-panel">')
    assert "Online since" in body and "Go offline" in body and "You are online." in body
    with world_a.scope():
        agent = Agent.objects.get(user=world_a.admin.user)
        assert AgentSession.objects.filter(agent=agent, ended_at__isnull=True).count() == 1
    r = client.post(url, {"action": "offline"}, headers={"HX-Request": "true"})
    assert "Go online" in r.content.decode() and "You are offline." in r.content.decode()
    # Without JavaScript: post/redirect/get, the outcome as a flash message on the page.
    r = client.post(url, {"action": "online"})
    assert r.status_code == 302 and r.url == url
    assert "You are online." in client.get(url).content.decode()


def test_presence_link_in_the_top_bar_for_support_roles_only(world_a):
    url = reverse("agent-presence", args=[world_a.tenant.slug])
    accounts = reverse("account-list", args=[world_a.tenant.slug])
    assert f'href="{url}"' in world_a.client_for(world_a.admin).get(accounts).content.decode()
    for member in (world_a.viewer, world_a.csm):
        assert f'href="{url}"' not in world_a.client_for(member).get(accounts).content.decode()
