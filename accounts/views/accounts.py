"""Customer account pages: list (filters, sort, htmx results), detail, create/edit, CSV in and out."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import imports, selectors
from accounts.access import get_account_for_tenant
from accounts.forms import AccountFilterForm, AccountForm
from accounts.models import CustomerAccount
from accounts.permissions import has_permission, requires
from accounts.services.customers import save_account
from accounts.timeline.forms import TimelineParamError
from accounts.timeline.views import bad_timeline_param, timeline_context
from accounts.views.imports import import_page
from accounts.worklist import selectors as task_selectors
from accounts.workspace import registry
from cs_platform.web.pages import (
    csv_response,
    paginate,
    render_list,
    save_or_form_error,
    sort_links,
    wants_partial,
)


def _filtered_accounts(request: HttpRequest) -> tuple[AccountFilterForm, QuerySet]:
    form = AccountFilterForm(request.GET or None, tenant=request.tenant, user=request.user,
                             role=request.membership.role)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    return form, selectors.account_list(tenant=request.tenant, **form.selector_kwargs())


@require_GET
@requires("accounts.view")
def account_list(request: HttpRequest) -> HttpResponse:
    form, accounts = _filtered_accounts(request)
    sort_next, sort_mark = sort_links(form.selector_kwargs()["sort"], list(selectors.ACCOUNT_SORTS))
    page = paginate(request, accounts)
    context = {
        "form": form,
        "page": page,
        # The columns other apps register for this list (accounts.workspace.registry: health, later).
        "columns": registry.columns_for(registry.ACCOUNT_LIST),
        "rows": registry.account_rows(tenant=request.tenant, accounts=page.object_list, place=registry.ACCOUNT_LIST,
                                      now=timezone.now()),
        "sort_next": sort_next,
        "sort_mark": sort_mark,
        "today": selectors.tenant_today(request.tenant),
    }
    return render_list(request, "accounts/account_list.html", context)


@require_GET
@requires("accounts.export")
def account_export(request: HttpRequest) -> HttpResponse:
    _form, accounts = _filtered_accounts(request)
    return csv_response(imports.export_accounts(accounts), stem="accounts", request=request)


@require_GET
@requires("accounts.view")
def account_detail(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    try:
        timeline = timeline_context(request, account=account)
    except TimelineParamError as error:
        return bad_timeline_param(error)
    if wants_partial(request):  # the kind filter and the "Older" link swap the timeline alone
        return render_list(request, "accounts/account_detail.html", {"account": account, **timeline},
                           partial="timeline")
    figures = selectors.account_figures(account=account)
    context = {
        "account": account,
        "figures": figures,
        "definitions": selectors.FIGURE_DEFINITIONS,
        "contacts": selectors.account_contacts(account=account),
        "contacts_limit": selectors.ACCOUNT_DETAIL_CONTACTS_LIMIT,
        # The account's open tasks (accounts.worklist): two queries, however many tasks.
        "account_tasks": task_selectors.account_tasks(tenant=request.tenant, account=account,
                                                      today=selectors.tenant_today(request.tenant)),
        "task_definitions": task_selectors.DEFINITIONS,
        "today": selectors.tenant_today(request.tenant),
        "can_work": has_permission(request, "tasks.work"),
        **timeline,
    }
    return render_list(request, "accounts/account_detail.html", context, partial="timeline")


def _account_form_page(request: HttpRequest, account: CustomerAccount | None) -> HttpResponse:
    form = AccountForm(request.POST or None, instance=account, tenant=request.tenant)
    form.instance.tenant = request.tenant
    if request.method == "POST" and form.is_valid():
        saved = save_or_form_error(form, lambda: save_account(tenant=request.tenant, account=form.save(commit=False)))
        if saved is not None:
            messages.success(request, f"Account “{saved.name}” saved.")
            return redirect("account-detail", tenant_slug=request.tenant.slug, account_pk=saved.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@require_http_methods(["GET", "POST"])
@requires("accounts.edit")
def account_create(request: HttpRequest) -> HttpResponse:
    return _account_form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("accounts.edit")
def account_edit(request: HttpRequest, account_pk: int) -> HttpResponse:
    return _account_form_page(request, get_account_for_tenant(request.tenant, pk=account_pk))


@require_http_methods(["GET", "POST"])
@requires("accounts.import")
def account_import(request: HttpRequest) -> HttpResponse:
    return import_page(request, imports.ACCOUNT_IMPORT, {"back_url_name": "account-list", "title": "Import accounts"})
