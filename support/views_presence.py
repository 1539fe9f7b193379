"""Agent presence page: go online / offline, today's online time, who is online and today's shifts.
The buttons are htmx (the presence panel is swapped in place); a plain POST redirects back to the page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.permissions import requires
from accounts.views._common import wants_partial
from support import selectors
from support.services.agents import agent_for_user, go_offline, go_online


def _duration(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _change(request: HttpRequest, agent) -> tuple[str, str]:
    """Apply the posted action; (message level, text)."""
    action = request.POST.get("action")
    if agent is None:
        return "error", "Your account has no agent record (set an email on your user first)."
    if action == "online":
        go_online(tenant=request.tenant, agent=agent)
        return "success", "You are online."
    if action == "offline":
        go_offline(tenant=request.tenant, agent=agent)
        return "success", "You are offline."
    return "error", "Unknown action."


@require_http_methods(["GET", "POST"])
@requires("support.presence")
def presence(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    # Created on the first visit: staff with a support role become agents by using the desk.
    agent = agent_for_user(tenant=tenant, user=request.user, role=request.membership.role)
    notice = None
    if request.method == "POST":
        level, text = _change(request, agent)
        if not wants_partial(request):
            getattr(messages, level)(request, text)
            return redirect("agent-presence", tenant_slug=tenant.slug)
        notice = (level, text)
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
        "notice": notice,
    }
    template = "support/presence.html#presence-panel" if notice else "support/presence.html"
    return render(request, template, context)
