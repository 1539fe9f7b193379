"""Agent desk pages (htmx): inbox, ticket page, macros, the callback queue and contact merges.

Thin views: parse a form, fetch through the access helpers, call support.desk.services (which writes
tickets and interactions only through support.records.services.tickets), render a page or a partial.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_contact_for_tenant
from accounts.permissions import has_permission, requires
from cs_platform import bounds
from cs_platform.bounds import INT8_MAX, whole_number
from cs_platform.web.pages import paginate, render_list, save_or_form_error, wants_partial
from support.desk import selectors
from support.desk.access import get_callback_for_tenant, get_macro_for_tenant
from support.desk.forms import (
    AssignForm,
    CallbackCompleteForm,
    CallbackScheduleForm,
    InboxFilterForm,
    MacroForm,
    MergeForm,
    ReplyForm,
    StatusForm,
    TagsForm,
)
from support.desk.macros import PLACEHOLDERS, MacroContext, render_macro_text
from support.desk.services import (
    DeskError,
    bulk_assign,
    complete_callback,
    delete_macro,
    request_callback,
    save_macro,
    send_reply,
)
from support.knowledge.selectors import ticket_suggestions
from support.models import Agent, Macro, Ticket
from support.records.access import get_active_agent_for_tenant, get_ticket_for_tenant
from support.records.data import StatusData, TicketData
from support.records.selectors import ticket_by_external_id
from support.records.services.agents import agent_for_user
from support.records.services.identities import IdentityError, merge_contacts
from support.records.services.tickets import RecordError, assign_ticket, change_status, merge_tickets, upsert_ticket
from support.sla.selectors import sla_state


def _since(request: HttpRequest):
    """When the list was first shown: rows updated after it are highlighted by every poll."""
    since = bounds.parse_aware(request.GET.get("since") or "")
    if since is None or timezone.is_naive(since) or bounds.time_error(since):
        return None
    return since


@require_GET
@requires("desk.view")
def inbox(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    agents = selectors.agent_choices(tenant=tenant)
    form = InboxFilterForm(request.GET or None, tenant=tenant, agents=agents)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    now = timezone.now()
    me = selectors.agent_of_user(tenant=tenant, user=request.user)
    tickets = selectors.inbox_tickets(tenant=tenant, now=now, me=me, **form.selector_kwargs())
    since = _since(request) or now
    query = request.GET.copy()  # the poll keeps the filters, sort and page
    query["since"] = since.isoformat()
    context = {
        "form": form,
        "page": paginate(request, tickets),
        "since": since,
        "poll_url": f"{reverse('inbox', args=[tenant.slug])}?{query.urlencode()}",
        "agents": agents,
        "sla_states": selectors.SLA_STATES,
        "can_assign": has_permission(request, "desk.assign"),
    }
    return render_list(request, "support/inbox.html", context)


@require_POST
@requires("desk.assign")
def inbox_bulk_assign(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    back = request.POST.get("next") or ""
    back = back if back.startswith("?") else ""
    target = reverse("inbox", args=[tenant.slug]) + back
    ids = [i for i in request.POST.getlist("ticket") if whole_number(i, high=INT8_MAX) is not None]
    choice = request.POST.get("agent", "")
    if not ids:
        messages.error(request, "Select at least one ticket.")
        return redirect(target)
    agent: Agent | None = None
    if choice:
        known = whole_number(choice, high=INT8_MAX) is not None
        agent = get_active_agent_for_tenant(tenant, pk=choice) if known else None
        if agent is None:
            messages.error(request, "Choose an agent.")
            return redirect(target)
    tickets = selectors.tickets_by_ids(tenant=tenant, ids=ids)
    changed = bulk_assign(tenant=tenant, tickets=tickets, agent=agent, by=request.user)
    who = str(agent) if agent else "nobody"
    messages.success(request, f"{changed} ticket{'s' if changed != 1 else ''} assigned to {who}.")
    return redirect(target)


def _ticket_context(request: HttpRequest, ticket: Ticket, *, reply_form: ReplyForm | None = None,
                    tags_form: TagsForm | None = None, error: str = "", meta_error: str = "") -> dict:
    tenant = request.tenant
    macros = selectors.active_macros(tenant=tenant)
    agents = selectors.agent_choices(tenant=tenant)
    return {
        "ticket": ticket,
        "sla_state": sla_state(ticket),
        "sla_states": selectors.SLA_STATES,
        "timeline": selectors.ticket_timeline(tenant=tenant, ticket=ticket),
        "other_tickets": selectors.other_open_tickets(tenant=tenant, ticket=ticket),
        "suggestions": list(ticket_suggestions(tenant=tenant, ticket=ticket)),
        "health": selectors.account_health_badge(ticket.account),
        "macros": macros,
        "reply_form": reply_form or ReplyForm(macros=macros, initial={"channel": ticket.channel}),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "assign_form": AssignForm(agents=agents, initial={"agent": ticket.assignee_id or ""}),
        "tags_form": tags_form or TagsForm(initial={"tags": ", ".join(ticket.tags)}),
        "merge_form": MergeForm(),
        "callbacks": selectors.ticket_pending_callbacks(tenant=tenant, ticket=ticket),
        "callback_form": CallbackScheduleForm(),
        "can_reply": has_permission(request, "desk.reply"),
        "can_assign": has_permission(request, "desk.assign"),
        "can_callback": has_permission(request, "desk.callbacks"),
        "error": error,
        "meta_error": meta_error,
    }


def _ticket_answer(request: HttpRequest, ticket: Ticket, partial: str, status: int = 200, **extra) -> HttpResponse:
    """htmx: the changed part of the page; otherwise back to the page (post/redirect/get). ``status`` 400:
    refused input, answered with the form and its error (the whole page without htmx)."""
    if wants_partial(request):
        ticket = get_ticket_for_tenant(request.tenant, pk=ticket.pk)  # the service changed its columns
        return render(request, f"support/ticket_detail.html#{partial}", _ticket_context(request, ticket, **extra),
                      status=status)
    if status >= 400:
        return render(request, "support/ticket_detail.html", _ticket_context(request, ticket, **extra), status=status)
    if extra.get("error"):
        messages.error(request, extra["error"])
    return redirect("ticket-detail", tenant_slug=request.tenant.slug, ticket_pk=ticket.pk)


@require_GET
@requires("desk.view")
def ticket_detail(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    return render(request, "support/ticket_detail.html", _ticket_context(request, ticket))


def _acting_agent(request: HttpRequest) -> Agent | None:
    return agent_for_user(tenant=request.tenant, user=request.user, role=request.membership.role)


@require_POST
@requires("desk.reply")
def ticket_reply(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    tenant = request.tenant
    ticket = get_ticket_for_tenant(tenant, pk=ticket_pk)
    macros = selectors.active_macros(tenant=tenant)
    form = ReplyForm(request.POST, macros=macros)
    if not form.is_valid():
        return _ticket_answer(request, ticket, "conversation", reply_form=form,
                              error="The reply was not sent: check the form.")
    agent = _acting_agent(request)
    if agent is None:
        return _ticket_answer(request, ticket, "conversation", reply_form=form,
                              error="Your user has no agent record (an email address is needed).")
    macro = get_macro_for_tenant(tenant, pk=form.cleaned_data["macro"]) if form.cleaned_data["macro"] else None
    try:
        send_reply(tenant=tenant, ticket=ticket, agent=agent, body=form.cleaned_data["body"],
                   channel=form.cleaned_data["channel"], internal=form.cleaned_data["kind"] == "note",
                   macro=macro, by=request.user)
    except (DeskError, RecordError) as exc:
        return _ticket_answer(request, ticket, "conversation", reply_form=form, error=str(exc))
    return _ticket_answer(request, ticket, "conversation")


@require_GET
@requires("desk.reply")
def ticket_macro(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """The reply box filled with the chosen macro rendered for this ticket (htmx swaps it in)."""
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    choice = request.GET.get("macro", "")
    if not choice:
        return HttpResponse(status=204)  # "no macro": htmx swaps nothing, so typed text stays
    macro = get_macro_for_tenant(request.tenant, pk=choice)
    agent = selectors.agent_of_user(tenant=request.tenant, user=request.user)
    text = render_macro_text(macro.body, MacroContext.for_ticket(ticket=ticket, agent=agent))
    return render(request, "support/ticket_detail.html#reply-body", {"body_text": text})


@require_POST
@requires("desk.reply")
def ticket_status(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _ticket_answer(request, ticket, "meta", error="Choose a valid status.")
    change_status(tenant=request.tenant, ticket=ticket, data=StatusData(status=form.cleaned_data["status"]),
                  agent=selectors.agent_of_user(tenant=request.tenant, user=request.user), by=request.user)
    return _ticket_answer(request, ticket, "meta")


def _refused(request: HttpRequest, ticket: Ticket, message: str, **extra) -> HttpResponse:
    """A 400 from the ticket's side panel: the panel (or the page, without htmx) with the message."""
    return _ticket_answer(request, ticket, "meta", status=400, meta_error=message, **extra)


@require_POST
@requires("desk.reply")
def ticket_tags(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, f"tags: {' '.join(form.errors['tags'])}", tags_form=form)
    try:
        upsert_ticket(tenant=request.tenant, data=TicketData(external_id=ticket.external_id, tags=form.tag_list()),
                      by=request.user)
    except RecordError as exc:  # the tag rules (support.records.data.normalize_tags), as for the API
        return _refused(request, ticket, f"tags: {exc}", tags_form=form)
    return _ticket_answer(request, ticket, "meta")


@require_POST
@requires("desk.reply")
def ticket_merge(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """Merge this ticket into another of the same account's (support.records.services.tickets.merge_tickets)."""
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    form = MergeForm(request.POST)
    into = form.is_valid() and ticket_by_external_id(tenant=request.tenant, external_id=form.cleaned_data["into"])
    if not into:
        return _refused(request, ticket, "into: give the id of a ticket of this tenant (the one that stays).")
    try:
        merge_tickets(tenant=request.tenant, source=ticket, into=into, by=request.user)
    except RecordError as exc:
        return _refused(request, ticket, f"{exc.field}: {exc}")
    messages.success(request, f"Merged into {into.external_id}.")
    return redirect("ticket-detail", tenant_slug=request.tenant.slug, ticket_pk=into.pk)


@require_POST
@requires("desk.assign")
def ticket_assign(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    form = AssignForm(request.POST, agents=selectors.agent_choices(tenant=request.tenant))
    if not form.is_valid():
        return _ticket_answer(request, ticket, "meta", error="Choose an agent.")
    assign_ticket(tenant=request.tenant, ticket=ticket, agent=form.chosen_agent(), by=request.user)
    return _ticket_answer(request, ticket, "meta")


@require_POST
@requires("desk.callbacks")
def ticket_schedule_callback(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """From the phone channel: a customer whose call was abandoned (or who asked) gets a callback."""
    ticket = get_ticket_for_tenant(request.tenant, pk=ticket_pk)
    form = CallbackScheduleForm(request.POST)
    with timezone.override(request.tenant.zone):  # a datetime-local value is the tenant's wall-clock time
        valid = form.is_valid()
    if not valid:
        return _ticket_answer(request, ticket, "callbacks", error="Give a valid time.")
    try:
        request_callback(tenant=request.tenant, contact=ticket.contact, ticket=ticket,
                         due_at=form.cleaned_data["due_at"], note=form.cleaned_data["note"])
    except DeskError as exc:
        return _ticket_answer(request, ticket, "callbacks", error=str(exc))
    return _ticket_answer(request, ticket, "callbacks")


@require_GET
@requires("desk.view")
def macro_list(request: HttpRequest) -> HttpResponse:
    context = {"page": paginate(request, selectors.macro_list(tenant=request.tenant)), "placeholders": PLACEHOLDERS,
               "can_edit": has_permission(request, "desk.macros")}
    return render_list(request, "support/macro_list.html", context)


def _macro_form_page(request: HttpRequest, macro: Macro | None) -> HttpResponse:
    form = MacroForm(request.POST or None, instance=macro, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        saved = save_or_form_error(form, lambda: save_macro(tenant=request.tenant, macro=form.save(commit=False),
                                                            by=request.user))
        if saved is not None:
            for warning in form.warnings:
                messages.warning(request, warning)
            messages.success(request, f"Macro “{saved.name}” saved.")
            return redirect("macro-list", tenant_slug=request.tenant.slug)
    context = {"form": form, "macro": macro, "placeholders": PLACEHOLDERS, "warnings": form.warnings}
    return render(request, "support/macro_form.html", context)


@require_http_methods(["GET", "POST"])
@requires("desk.macros")
def macro_create(request: HttpRequest) -> HttpResponse:
    return _macro_form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("desk.macros")
def macro_edit(request: HttpRequest, macro_pk: int) -> HttpResponse:
    return _macro_form_page(request, get_macro_for_tenant(request.tenant, pk=macro_pk))


@require_POST
@requires("desk.macros")
def macro_delete(request: HttpRequest, macro_pk: int) -> HttpResponse:
    macro = get_macro_for_tenant(request.tenant, pk=macro_pk)
    delete_macro(tenant=request.tenant, macro=macro)
    messages.success(request, f"Macro “{macro.name}” deleted.")
    return redirect("macro-list", tenant_slug=request.tenant.slug)


@require_GET
@requires("desk.view")
def callback_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "queue": selectors.callback_queue(tenant=request.tenant, now=now),
        "completed": selectors.recently_completed_callbacks(tenant=request.tenant, now=now),
        "wait": selectors.callback_wait_figures(tenant=request.tenant, now=now),
        "wait_definition": selectors.CALLBACK_WAIT_DEFINITION,
        "complete_form": CallbackCompleteForm(),
        "can_complete": has_permission(request, "desk.callbacks"),
        "now": now,
    }
    return render_list(request, "support/callback_queue.html", context, partial="queue")


@require_POST
@requires("desk.callbacks")
def callback_complete(request: HttpRequest, callback_pk: int) -> HttpResponse:
    callback = get_callback_for_tenant(request.tenant, pk=callback_pk)
    form = CallbackCompleteForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[name].label or name}: {' '.join(errors)}"
                             for name, errors in form.errors.items())
        messages.error(request, f"Check the call notes and length. {problems}")
        return redirect("callback-queue", tenant_slug=request.tenant.slug)
    agent = _acting_agent(request)
    if agent is None:
        messages.error(request, "Your user has no agent record (an email address is needed).")
        return redirect("callback-queue", tenant_slug=request.tenant.slug)
    minutes = form.cleaned_data["minutes"]
    try:
        complete_callback(tenant=request.tenant, callback=callback, agent=agent, note=form.cleaned_data["note"],
                          handle_seconds=minutes * 60 if minutes is not None else None, by=request.user)
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Callback to {callback.contact.name or callback.phone} recorded.")
    return redirect("callback-queue", tenant_slug=request.tenant.slug)


# ------------------------------- contact merge (agents: search, side-by-side confirmation, history)


TEMPLATE = "support/contact_merge.html"


KEEP_DUPLICATE = "duplicate"  # ``keep`` value: keep the chosen duplicate and fold this page's contact into it


@require_http_methods(["GET", "POST"])
@requires("contacts.merge")
def contact_merge(request: HttpRequest, contact_pk: int) -> HttpResponse:
    tenant = request.tenant
    contact = get_contact_for_tenant(tenant, pk=contact_pk)
    data = request.POST if request.method == "POST" else request.GET
    context = {"contact": contact, "history": selectors.merge_history(tenant=tenant, contact=contact)}

    duplicate_pk = data.get("duplicate")
    if not duplicate_pk:
        query = request.GET.get("q", "")
        context |= {"query": query, "min_query_length": selectors.MIN_QUERY_LENGTH,
                    "candidates": selectors.merge_candidates(tenant=tenant, contact=contact, query=query)}
        if wants_partial(request):
            return render_list(request, TEMPLATE, context, partial="candidates")
        return render(request, TEMPLATE, context)

    duplicate = get_contact_for_tenant(tenant, pk=duplicate_pk)
    keep_duplicate = data.get("keep") == KEEP_DUPLICATE
    kept, merged = (duplicate, contact) if keep_duplicate else (contact, duplicate)
    context |= {
        "duplicate": duplicate, "kept": kept, "merged": merged, "keep_duplicate": keep_duplicate,
        "cross_account": kept.account_id != merged.account_id,
        "sides": selectors.merge_sides(tenant=tenant, contacts=[kept, merged]),
    }
    if duplicate.pk == contact.pk:
        context["error"] = "duplicate: choose another contact than this one"
        return render(request, TEMPLATE, context, status=400)
    if request.method == "GET":
        return render(request, TEMPLATE, context)

    try:
        merge = merge_contacts(tenant=tenant, kept=kept, merged=merged, merged_by=request.user,
                               allow_cross_account=data.get("confirm_cross_account") == "on")
    except IdentityError as error:
        if error.field == "allow_cross_account":
            context["error"] = f"confirm_cross_account: {error}"
        else:
            context["error"] = f"{error.field or 'contact'}: {error}"
        return render(request, TEMPLATE, context, status=400)
    moved = merge.moved_counts
    messages.success(
        request,
        f"Merged “{merged.name or merged.external_id}” into “{kept.name or kept.external_id}”: "
        f"{moved.get('tickets', 0)} ticket(s), {moved.get('interactions', 0)} interaction(s) and "
        f"{moved.get('identities', 0)} identit{'y' if moved.get('identities', 0) == 1 else 'ies'} moved.",
    )
    return redirect("contact-detail", tenant_slug=tenant.slug, contact_pk=kept.pk)
