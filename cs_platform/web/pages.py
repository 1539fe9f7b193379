"""Helpers shared by the page modules."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

PAGE_SIZE = 50


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request swapping a fragment. A boosted navigation, and htmx restoring a page missing
    from its history cache (back button), replace the whole body: they need the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_list(request: HttpRequest, template: str, context: dict[str, Any], partial: str = "results") -> HttpResponse:
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context)
    # The same URL answers a fragment or a page: caches and the back button must tell them apart.
    response["Vary"] = "HX-Request"
    return response


def sort_links(current: str, keys: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """For sortable column headers: the ``sort`` value each header links to (a second click on the
    active column flips the direction) and the arrow marking the active one."""
    links = {k: (f"-{k}" if current == k else k) for k in keys}
    marks = {k: " ↑" if current == k else " ↓" if current == f"-{k}" else "" for k in keys}
    return links, marks


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    # get_page() turns a bad or out-of-range ?page= into the first or last page instead of a 404.
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def save_or_form_error(form: Form, save: Any) -> Any | None:
    """Run ``save()``; a unique constraint lost to a concurrent request becomes a form error."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        form.add_error(None, "This conflicts with a record saved meanwhile (same external id or email). "
                             "Check the values and save again.")
        return None


def csv_response(text: str, *, stem: str, request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(request.tenant.zone).date().isoformat()
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.tenant.slug}-{stem}-{today}.csv"'
    return response


# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection): customer-
# and user-supplied text (account and team names, notes) ends up in exports, so such cells get a leading
# apostrophe, which spreadsheets hide and which the CSV import removes again, so files still round-trip.
# Every CSV the platform writes goes through csv_text, so no export can forget it.
FORMULA_STARTS = ("=", "@", "\t", "\r", "+", "-")
PLAIN_NUMBER_OR_PHONE = re.compile(r"^[+-]?[0-9 ().\-]*$")


def spreadsheet_safe(cell: Any) -> Any:
    """Text that a spreadsheet would run as a formula, defused; numbers and other values as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER_OR_PHONE.match(cell):
        return "'" + cell
    return cell


def from_spreadsheet_safe(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) and not PLAIN_NUMBER_OR_PHONE.match(cell[1:]):
        return cell[1:]
    return cell


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file as text, every cell through :func:`spreadsheet_safe`. Built inside the request on
    purpose: the tenant scope ends when the view returns, so a lazily streamed body could not query."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue()
