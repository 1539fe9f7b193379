"""Support team pages under ``/t/<tenant_slug>/support/teams/`` (admins: ``teams.manage``).

A team's agents and managers decide what managers see in the support reports (support.report_visibility).
Thin views: the form validates, support.team_services writes in one transaction, the page or its htmx
partial is rendered by the same view.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import requires
from accounts.views._common import paginate, render_list, save_or_form_error, wants_partial
from support.access import get_team_for_tenant
from support.models import Team
from support.team_forms import TeamForm
from support.team_selectors import team_list, team_member_ids
from support.team_services import delete_team, save_team


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
