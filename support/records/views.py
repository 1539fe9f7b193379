"""Records pages: agent presence (``support/presence/``) and teams (``support/teams/``, admins).

The presence page: go online / offline, today's online time, who is online and today's shifts.
The buttons are htmx (the presence panel is swapped in place); a plain POST redirects back to the page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import requires
from cs_platform.web.pages import paginate, render_list, save_or_form_error, wants_partial
from support.models import Team
from support.records import selectors
from support.records.access import get_team_for_tenant
from support.records.forms import TeamForm
from support.records.selectors import team_list, team_member_ids
from support.records.services.agents import agent_for_user, go_offline, go_online
from support.records.services.teams import delete_team, save_team


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


# ----------------------------------------------------------------------------------- teams (admins)


@require_GET
@requires("teams.manage")
def teams(request: HttpRequest) -> HttpResponse:
    page = paginate(request, team_list(tenant=request.tenant))
    return render_list(request, "support/teams/list.html", {"page": page})


def _form_page(request: HttpRequest, team: Team | None) -> HttpResponse:
    tenant = request.tenant
    initial = None
    if team is not None and request.method != "POST":
        agents, managers = team_member_ids(tenant=tenant, team=team)
        initial = {"name": team.name, "agents": agents, "managers": managers}
    form = TeamForm(request.POST if request.method == "POST" else None, initial=initial, tenant=tenant, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = save_or_form_error(form, lambda: save_team(tenant=tenant, team=team, name=data["name"],
                                                           agents=list(data["agents"]),
                                                           managers=list(data["managers"])))
        if saved is not None:
            messages.success(request, f"Team “{saved.name}” saved.")
            list_url = reverse("team-list", kwargs={"tenant_slug": tenant.slug})
            return HttpResponseClientRedirect(list_url) if wants_partial(request) else redirect(list_url)
    # Errors re-render the form with 200, as the other form pages do (htmx swaps only 2xx answers).
    return render_list(request, "support/teams/form.html", {"form": form, "team": team}, partial="form")


@require_http_methods(["GET", "POST"])
@requires("teams.manage")
def team_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("teams.manage")
def team_edit(request: HttpRequest, team_pk: int) -> HttpResponse:
    return _form_page(request, get_team_for_tenant(request.tenant, pk=team_pk))


@require_POST
@requires("teams.manage")
def team_delete(request: HttpRequest, team_pk: int) -> HttpResponse:
    team = get_team_for_tenant(request.tenant, pk=team_pk)
    try:
        delete_team(tenant=request.tenant, team=team)
    except RestrictedError:
        messages.error(request, f"Team “{team.name}” has support cost entries; move or delete them first.")
        return redirect("team-edit", tenant_slug=request.tenant.slug, team_pk=team.pk)
    messages.success(request, f"Team “{team.name}” deleted; its agents are in no team now.")
    return redirect("team-list", tenant_slug=request.tenant.slug)
