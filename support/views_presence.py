"""Agent presence page: go online / offline, today's online time, who is online and today's shifts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.permissions import requires
from support import selectors
from support.services.agents import agent_for_user, go_offline, go_online


def _duration(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


@require_http_methods(["GET", "POST"])
@requires("support.presence")
def presence(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    # Created on the first visit: staff with a support role become agents by using the desk.
    agent = agent_for_user(tenant=tenant, user=request.user, role=request.membership.role)
    if request.method == "POST":
        action = request.POST.get("action")
        if agent is None:
            messages.error(request, "Your account has no agent record (set an email on your user first).")
        elif action == "online":
            go_online(tenant=tenant, agent=agent)
            messages.success(request, "You are online.")
        elif action == "offline":
            go_offline(tenant=tenant, agent=agent)
            messages.success(request, "You are offline.")
        else:
            messages.error(request, "Unknown action.")
        return redirect("agent-presence", tenant_slug=tenant.slug)
    start, end = selectors.local_day_bounds(tenant)
    context = {
        "agent": agent,
        "open_session": selectors.open_online_session(tenant=tenant, agent=agent) if agent else None,
        "online_today": _duration(selectors.online_time(tenant=tenant, agent=agent, start=start, end=end))
        if agent else None,
        "board": selectors.presence_board(tenant=tenant, start=start, end=end),
        "today": start.date(),
        "zone": tenant.timezone,
        "now": timezone.now(),
    }
    return render(request, "support/presence.html", context)
