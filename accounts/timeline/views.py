"""The timeline on the account and contact pages, and the CSM notes and logged touches.

The account and contact pages call :func:`timeline_context`; its partial (``timeline``) is what an htmx
request for the kind filter or the "Older" link swaps. A note is created from the account page's form
(htmx: the answer is the refreshed timeline) and edited or deleted on its own page by its author or an
admin (accounts.permissions.may_change_note). Bad input is a 400 naming the field, nothing written: under
the project's htmx configuration a 4xx is not swapped, so the form's inputs carry the same limits
(required, maxlength, min/max) and the browser refuses most bad input before sending it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_account_for_tenant
from accounts.models import Contact, CustomerAccount
from accounts.permissions import has_permission, may_change_note, requires
from accounts.timeline import registry, selectors
from accounts.timeline.access import get_note_for_tenant
from accounts.timeline.forms import NoteForm, TimelineParamError, parse_cursor, parse_kinds
from accounts.timeline.models import AccountNote
from accounts.timeline.services import create_note, delete_note, update_note
from cs_platform.web.pages import wants_partial

TEMPLATE_FORM = "accounts/timeline/note_form.html"


def bad_timeline_param(error: TimelineParamError) -> HttpResponse:
    return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")


def timeline_context(request: HttpRequest, *, account: CustomerAccount | None = None,
                     contact: Contact | None = None) -> dict[str, Any]:
    """What the timeline partial shows for the request's ``before`` and ``kind`` parameters. Raises
    :class:`TimelineParamError` for a bad one (the page answers :func:`bad_timeline_param`)."""
    names = [k.name for k in registry.kinds_for("account" if account is not None else "contact")]
    before = parse_cursor(request.GET.get("before"), known_kinds=names)
    wanted = parse_kinds(request.GET.getlist("kind"), known_kinds=names)
    return _timeline(request, account=account, contact=contact, before=before, wanted=wanted)


def _timeline(request: HttpRequest, *, account: CustomerAccount | None = None, contact: Contact | None = None,
              before: registry.Cursor | None = None, wanted: frozenset[str] | None = None) -> dict[str, Any]:
    """One page of events of the wanted kinds, the kind filter, the link to the next older page, and on the
    account page (with notes.write) the note form."""
    tenant = request.tenant
    if account is not None:
        page = selectors.account_timeline(tenant=tenant, account=account, before=before, kinds=wanted)
        url, kinds = reverse("account-detail", args=[tenant.slug, account.pk]), registry.kinds_for("account")
    else:
        page = selectors.contact_timeline(tenant=tenant, contact=contact, before=before, kinds=wanted)
        url, kinds = reverse("contact-detail", args=[tenant.slug, contact.pk]), registry.kinds_for("contact")
    # The edit link only where the edit page would not answer 403.
    events = [e if not e.edit_url or may_change_note(request, author_id=e.author_id) else replace(e, edit_url="")
              for e in page.events]
    may_write = account is not None and has_permission(request, "notes.write")
    return {
        "timeline": events,
        "timeline_next": page.next_cursor.as_param() if page.next_cursor else "",
        "timeline_is_first_page": before is None,
        "timeline_kinds": kinds,
        "timeline_wanted": sorted(wanted or ()),
        "timeline_url": url,
        "timeline_account": account,
        "note_form": NoteForm(tenant=tenant) if may_write else None,
    }


def _account_page_timeline(request: HttpRequest, account: CustomerAccount, *, form: NoteForm | None = None,
                           notice: str = "", status: int = 200) -> HttpResponse:
    # After a write the list restarts from the newest events of every kind: the new note shows at once.
    context = _timeline(request, account=account) | {"account": account}
    if form is not None:
        context["note_form"] = form
    context["timeline_notice"] = notice  # an htmx swap has no page reload to show the messages framework's note
    response = render(request, "accounts/account_detail.html#timeline", context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _back_to_account(request: HttpRequest, account_pk: int) -> HttpResponse:
    return redirect(reverse("account-detail", args=[request.tenant.slug, account_pk]) + "#timeline")


@require_http_methods(["GET", "POST"])
@requires("notes.write")
def note_create(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    form = NoteForm(request.POST if request.method == "POST" else None, tenant=request.tenant)
    if request.method == "GET":
        return render(request, TEMPLATE_FORM, {"form": form, "account": account, "note": None})
    if not form.is_valid_in_tenant_zone():
        if wants_partial(request):
            return _account_page_timeline(request, account, form=form, status=400)
        return render(request, TEMPLATE_FORM, {"form": form, "account": account, "note": None}, status=400)
    note = create_note(tenant=request.tenant, account=account, author=request.user, **form.note_values())
    message = f"{note.get_kind_display()} saved on the timeline."
    if wants_partial(request):
        return _account_page_timeline(request, account, notice=message)
    messages.success(request, message)
    return _back_to_account(request, account.pk)


def _changeable_note(request: HttpRequest, note_pk: int) -> AccountNote:
    note = get_note_for_tenant(request.tenant, pk=note_pk)
    if not may_change_note(request, author_id=note.author_id):
        raise PermissionDenied("notes.write: only the author or an admin changes a note")
    return note


@require_http_methods(["GET", "POST"])
@requires("notes.write")
def note_edit(request: HttpRequest, note_pk: int) -> HttpResponse:
    note = _changeable_note(request, note_pk)
    initial = {"kind": note.kind, "subject": note.subject, "body": note.body,
               "happened_at": note.happened_at.astimezone(request.tenant.zone).strftime("%Y-%m-%dT%H:%M")}
    form = NoteForm(request.POST if request.method == "POST" else None, initial=initial, tenant=request.tenant)
    context = {"form": form, "account": note.account, "note": note}
    if request.method == "GET":
        return render(request, TEMPLATE_FORM, context)
    if not form.is_valid_in_tenant_zone():
        return render(request, TEMPLATE_FORM, context, status=400)
    update_note(tenant=request.tenant, note=note, by=request.user, **form.note_values())
    messages.success(request, f"{note.get_kind_display()} saved.")
    return _back_to_account(request, note.account_id)


@require_POST
@requires("notes.write")
def note_delete(request: HttpRequest, note_pk: int) -> HttpResponse:
    note = _changeable_note(request, note_pk)
    delete_note(tenant=request.tenant, note=note)
    messages.success(request, f"{note.get_kind_display()} deleted.")
    return _back_to_account(request, note.account_id)
