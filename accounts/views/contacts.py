"""Contact pages: list (filters, htmx results), detail, create/edit, CSV in and out."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import imports, selectors
from accounts.access import get_contact_for_tenant
from accounts.forms import ContactFilterForm, ContactForm
from accounts.models import Contact
from accounts.permissions import requires
from accounts.services.contacts import save_contact
from accounts.timeline.forms import TimelineParamError
from accounts.timeline.views import bad_timeline_param, timeline_context
from accounts.views.imports import import_page
from cs_platform.web.pages import csv_response, paginate, render_list, save_or_form_error


def _filtered_contacts(request: HttpRequest) -> tuple[ContactFilterForm, QuerySet]:
    form = ContactFilterForm(request.GET or None, tenant=request.tenant)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    return form, selectors.contact_list(tenant=request.tenant, **form.selector_kwargs())


@require_GET
@requires("contacts.view")
def contact_list(request: HttpRequest) -> HttpResponse:
    form, contacts = _filtered_contacts(request)
    return render_list(request, "accounts/contact_list.html", {"form": form, "page": paginate(request, contacts)})


@require_GET
@requires("accounts.export")
def contact_export(request: HttpRequest) -> HttpResponse:
    _form, contacts = _filtered_contacts(request)
    return csv_response(imports.export_contacts(contacts), stem="contacts", request=request)


@require_GET
@requires("contacts.view")
def contact_detail(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = get_contact_for_tenant(request.tenant, pk=contact_pk)
    try:
        timeline = timeline_context(request, contact=contact)
    except TimelineParamError as error:
        return bad_timeline_param(error)
    return render_list(request, "accounts/contact_detail.html", {"contact": contact, **timeline}, partial="timeline")


def _contact_form_page(request: HttpRequest, contact: Contact | None) -> HttpResponse:
    initial = {}
    if contact is None and request.method == "GET":
        # "Add contact" from an account page preselects it; the form's choices only hold this
        # tenant's accounts, so another tenant's id simply selects nothing.
        initial["account"] = request.GET.get("account")
    form = ContactForm(request.POST or None, instance=contact, initial=initial, tenant=request.tenant)
    form.instance.tenant = request.tenant
    if request.method == "POST" and form.is_valid():
        saved = save_or_form_error(form, lambda: save_contact(tenant=request.tenant, contact=form.save(commit=False)))
        if saved is not None:
            messages.success(request, f"Contact “{saved}” saved.")
            return redirect("contact-detail", tenant_slug=request.tenant.slug, contact_pk=saved.pk)
    return render(request, "accounts/contact_form.html", {"form": form, "contact": contact})


@require_http_methods(["GET", "POST"])
@requires("contacts.edit")
def contact_create(request: HttpRequest) -> HttpResponse:
    return _contact_form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("contacts.edit")
def contact_edit(request: HttpRequest, contact_pk: int) -> HttpResponse:
    return _contact_form_page(request, get_contact_for_tenant(request.tenant, pk=contact_pk))


@require_http_methods(["GET", "POST"])
@requires("accounts.import")
def contact_import(request: HttpRequest) -> HttpResponse:
    return import_page(request, imports.CONTACT_IMPORT, {"back_url_name": "contact-list", "title": "Import contacts"})
