"""Pages of the survey triggers: the ticket page's CSAT panel (loaded by htmx from support's ticket
template, so support does not import surveys) with the agent's skip toggle, and the campaign pages.
Thin: parse a form, fetch through the access helpers, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import has_permission, requires
from cs_platform.web.pages import paginate, render_list, wants_partial
from support.records.access import get_ticket_for_tenant
from surveys.models import Campaign, SuppressionReason
from surveys.triggers import campaigns, selectors
from surveys.triggers.access import get_campaign_for_tenant
from surveys.triggers.campaigns import CampaignError, pause_campaign, save_campaign, start_campaign
from surveys.triggers.forms import CampaignForm, campaign_data, segment_filter_form, segment_values
from surveys.triggers.services import set_ticket_skip

PANEL = "surveys/triggers/ticket_csat.html"


def _panel(request: HttpRequest, ticket, *, status: int = 200, error: str = "") -> HttpResponse:
    tenant = request.tenant
    context = {"ticket": ticket, "invitations": selectors.ticket_invitations(tenant=tenant, ticket=ticket),
               "skip": selectors.ticket_skip(tenant=tenant, ticket=ticket),
               "can_skip": has_permission(request, "desk.reply"), "reasons": dict(SuppressionReason.choices),
               "error": error}
    template = f"{PANEL}#panel" if wants_partial(request) else PANEL
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


@require_http_methods(["GET", "POST"])
@requires("desk.view")
def ticket_csat(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """GET: the panel (a fragment for htmx, a page without JS). POST ``skip`` = ``on``/``off``: the
    agent's "Don't send a CSAT survey for this ticket" (agents and up: the desk.reply permission)."""
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    if request.method == "GET":
        return _panel(request, ticket)
    if not has_permission(request, "desk.reply"):
        return HttpResponse("Forbidden: agents, managers and admins set the CSAT skip.", status=403)
    choice = request.POST.get("skip", "")
    if choice not in ("on", "off"):
        return _panel(request, ticket, status=400, error="skip: choose on or off")
    set_ticket_skip(tenant=request.tenant, ticket=ticket, skip=choice == "on", by=request.user)
    if wants_partial(request):
        return _panel(request, ticket)
    return redirect("ticket-csat", tenant_slug=request.tenant.slug, ticket_pk=ticket.pk)


# ---------------------------------------------------------------------------------------- campaigns


@require_GET
@requires("surveys.view")
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render_list(request, "surveys/triggers/campaign_list.html", {
        "page": paginate(request, campaigns.campaign_list(tenant=request.tenant)),
        "can_manage": has_permission(request, "surveys.manage")})


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    tenant = request.tenant
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, surveys=selectors.campaign_survey_choices(tenant=tenant), campaign=campaign)
    # A GET with segment filters (the form's "Preview" button) previews them before anything is saved.
    previewing = data is None and any(key.startswith("segment-") for key in request.GET)
    segment = segment_filter_form(data if not previewing else request.GET, tenant=tenant, campaign=campaign)
    preview = None
    if data is not None and form.is_valid() and segment.is_valid():
        try:
            saved = save_campaign(tenant=tenant, campaign=campaign, data=campaign_data(form, segment), by=request.user)
        except CampaignError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Campaign “{saved.name}” saved.")
            return redirect("campaign-detail", tenant_slug=tenant.slug, campaign_pk=saved.pk)
    elif segment.is_bound and segment.is_valid():
        preview = campaigns.segment_preview(tenant=tenant, segment=segment_values(segment))
    elif not segment.is_bound:
        preview = campaigns.segment_preview(tenant=tenant, segment=campaign.segment if campaign else {})
    context = {"form": form, "segment": segment, "campaign": campaign, "preview": preview}
    return render(request, "surveys/triggers/campaign_form.html", context, status=400 if data is not None else 200)


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@require_http_methods(["GET", "POST"])
@requires("surveys.manage")
def campaign_edit(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    return _campaign_form(request, get_campaign_for_tenant(request.tenant, pk=campaign_pk))


def _detail(request: HttpRequest, campaign: Campaign, *, status: int = 200, error: str = "") -> HttpResponse:
    tenant = request.tenant
    return render(request, "surveys/triggers/campaign_detail.html", {
        "campaign": campaign, "counts": campaigns.campaign_counts(tenant=tenant, campaign=campaign),
        "definitions": campaigns.COUNT_DEFINITIONS,
        "preview": campaigns.segment_preview(tenant=tenant, segment=campaign.segment),
        "segment": campaigns.describe_segment(tenant=tenant, segment=campaign.segment),
        "can_manage": has_permission(request, "surveys.manage"), "error": error}, status=status)


@require_GET
@requires("surveys.view")
def campaign_detail(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    return _detail(request, get_campaign_for_tenant(request.tenant, pk=campaign_pk))


def _change(request: HttpRequest, campaign_pk: int, change) -> HttpResponse:
    campaign = get_campaign_for_tenant(request.tenant, pk=campaign_pk)
    try:
        message = change(campaign)
    except CampaignError as exc:
        return _detail(request, campaign, status=400, error=f"{exc.field}: {exc}")
    messages.success(request, message)
    return redirect("campaign-detail", tenant_slug=request.tenant.slug, campaign_pk=campaign.pk)


@require_POST
@requires("surveys.manage")
def campaign_start(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    def start(campaign: Campaign) -> str:
        start_campaign(tenant=request.tenant, campaign=campaign, by=request.user, now=timezone.now())
        return "Campaign started: its contacts are invited within a few minutes, spread over the window."
    return _change(request, campaign_pk, start)


@require_POST
@requires("surveys.manage")
def campaign_pause(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    def pause(campaign: Campaign) -> str:
        stopped = pause_campaign(tenant=request.tenant, campaign=campaign, by=request.user, now=timezone.now())
        return f"Campaign paused: {stopped} invitation(s) not yet sent were stopped."
    return _change(request, campaign_pk, pause)
