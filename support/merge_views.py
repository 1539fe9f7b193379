"""The agent-facing merge of two contacts that are the same person (issue 4 "Identities").

One page, three steps on one URL: search this tenant's contacts for the duplicate (htmx partial),
confirm with both contacts side by side, then POST, which calls ``merge_contacts`` (the service holds
every rule and writes the audit row). Both contacts are fetched through ``get_contact_for_tenant``,
so another tenant's id is a 404 whether it comes in the URL, the query string or the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import get_contact_for_tenant
from accounts.permissions import requires
from accounts.views._common import render_list, wants_partial
from support import merge_selectors as selectors
from support.services.identities import IdentityError, merge_contacts

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
