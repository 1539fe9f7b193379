"""Usage pages: an account's usage tab, the first-90-days view and the feature catalog.

Thin views (DESIGN.md): parse, fetch through ``accounts.access``, call ``health.usage.selectors`` (``adoption``,
``account_usage``, ``first_days``, ``catalog``) / ``health.usage.services.catalog``, render. Every figure is shown
with its definition (``USAGE_DEFINITIONS``, quoting METRICS.md) as a tooltip and a footnote. Each page answers
the whole page or, for htmx, the partial its request targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_account_for_tenant
from accounts.permissions import has_permission, requires
from accounts.selectors import tenant_today
from cs_platform.web import charts
from cs_platform.web.pages import PAGE_SIZE, render_list, wants_partial
from health.usage.access import get_catalogentry_for_tenant
from health.usage.forms import WINDOW_CHOICES, CatalogEntryForm, WindowForm
from health.usage.models import CatalogEntry
from health.usage.selectors import account_usage as usage_selectors
from health.usage.selectors import adoption as selectors
from health.usage.selectors import catalog as catalog_selectors
from health.usage.selectors import first_days
from health.usage.selectors.adoption import USAGE_DEFINITIONS as DEFS
from health.usage.services.catalog import CatalogConflict, delete_catalog_entry, save_catalog_entry


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str

    @property
    def definition(self) -> str:
        return DEFS[self.key]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def number(value: float | int | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def footnotes(*keys: str) -> list[tuple[str, str]]:
    """Definitions printed under a page: (term, definition)."""
    return [(key.replace("_", " ").capitalize(), DEFS[key]) for key in keys]


def _htmx_target(request: HttpRequest) -> str | None:
    return request.htmx.target if wants_partial(request) else None


def _account_figures(adoption: selectors.AccountAdoption) -> list[Figure]:
    ttv = adoption.time_to_value_days
    return [
        Figure("active_1d", "Active users, 1 day", number(adoption.active_users[1])),
        Figure("active_7d", "Active users, 7 days", number(adoption.active_users[7])),
        Figure("active_30d", "Active users, 30 days", number(adoption.active_users[30])),
        Figure("license_utilization", f"License utilization, {adoption.window_days} days",
               pct(adoption.license_utilization)),
        Figure("breadth", f"Breadth, {adoption.window_days} days", pct(adoption.breadth)),
        Figure("depth", "Depth per active user", number(adoption.depth, 1)),
        Figure("events", f"Events, {adoption.window_days} days", number(adoption.events_in_window)),
        Figure("milestones", "Value milestones reached",
               f"{adoption.milestones_reached} / {adoption.milestones_total}"),
        Figure("time_to_value", "Time to value", "—" if ttv is None else f"{ttv} days"),
    ]


FUNNEL_STAGES = (("seats", "Seats"), ("contacts_known", "Contacts known"), ("activated", "Activated"),
                 ("trained", "Trained"), ("active", "Active"))


def _funnel_chart(funnel: selectors.SeatFunnel, window_days: int) -> Any:
    bars = []
    for key, label in FUNNEL_STAGES:
        value = getattr(funnel, key)
        shown = label if key != "active" else f"Active ({window_days}d)"
        bars.append(charts.Bar(label=shown, value=value or 0, muted=value is None,
                               title=f"{shown}: {'not recorded' if value is None else value}"))
    return charts.horizontal_bars(bars, aria_label="Seat funnel: " + ", ".join(b.title for b in bars))


def _weekly_chart(weekly: list[usage_selectors.WeekRow], seats: int | None) -> Any:
    bars = [charts.Bar(label=w.week.strftime("%b %d"), value=w.active_users,
                       title=f"Week of {w.week.isoformat()}: {w.active_users} active users, {w.events} events")
            for w in weekly]
    line_label = f"Seats: {seats}" if seats is not None else ""
    return charts.bars_with_line(
        bars, line_value=seats, line_label=line_label,
        aria_label=f"Weekly active users over the last {len(weekly)} weeks"
                   + (f" against {seats} seats" if seats is not None else ""))


def _feature_chart(features: list[usage_selectors.FeatureUse], window_days: int) -> Any:
    bars = [charts.Bar(label=f.feature, value=f.events, muted=not f.used,
                       title=f"{f.feature}: {f.events} events in {window_days} days"
                             + ("" if f.used else " (not used)"))
            for f in features]
    used = sum(1 for f in features if f.used)
    return charts.horizontal_bars(bars, aria_label=f"{used} of {len(features)} catalog features used")


@require_GET
@requires("usage.view")
def account_usage(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    account.tenant = request.tenant  # the same row, already loaded: spares the selectors a query for it
    window_form = WindowForm(request.GET or None)
    window_days = window_form.window_days()
    today = tenant_today(request.tenant)
    adoption = selectors.account_adoption(account=account, today=today, window_days=window_days)
    contacts = Paginator(usage_selectors.contact_usage(adoption=adoption, account=account), PAGE_SIZE)
    context = {
        "account": account,
        "adoption": adoption,
        "window_form": window_form,
        "window_choices": sorted({*WINDOW_CHOICES, (window_days, f"{window_days} days")}),
        "contacts_page": contacts.get_page(request.GET.get("page")),
        "definitions": DEFS,
    }
    if _htmx_target(request) == "contacts":
        return render_list(request, "health/account_usage.html", context, partial="contacts")
    weekly = usage_selectors.weekly_trend(account=account, today=today)
    features = usage_selectors.feature_usage(account=account, today=today, window_days=window_days)
    context |= {
        "figures": _account_figures(adoption),
        "funnel_chart": _funnel_chart(adoption.funnel, window_days),
        "weekly": weekly,
        "weekly_chart": _weekly_chart(weekly, adoption.seats),
        "features": features,
        "feature_chart": _feature_chart(features, window_days),
        "milestones": usage_selectors.milestone_reach(account=account, today=today),
        "footnotes": footnotes("window", "seat_funnel", "seats", "contacts_known", "activated", "trained", "active",
                               "weekly", "feature_breadth", "last_seen", "contact_events", "features_used"),
    }
    return render_list(request, "health/account_usage.html", context, partial="usage")


@require_GET
@requires("usage.view")
def first_90_days(request: HttpRequest) -> HttpResponse:
    today = tenant_today(request.tenant)
    context = {
        "rows": first_days.first_90_days(tenant=request.tenant, today=today),
        "today": today,
        "definitions": DEFS,
        "footnotes": footnotes("risk", "days_left", "seat_funnel", "seats", "contacts_known", "activated", "trained",
                               "active_30d", "license_utilization", "milestones", "time_to_value"),
    }
    return render_list(request, "health/first_90_days.html", context, partial="results")


def _entry_form(request: HttpRequest, entry: CatalogEntry, data: Any = None) -> CatalogEntryForm:
    # Per-entry ids keep the labels of many inline forms on one page pointing at their own inputs.
    return CatalogEntryForm(data, instance=entry, tenant=request.tenant, auto_id=f"id_e{entry.pk}_%s")


def _catalog_page(request: HttpRequest, *, bound: CatalogEntryForm | None = None,
                  add_form: CatalogEntryForm | None = None, notice: str = "") -> HttpResponse:
    entries = catalog_selectors.catalog_entries(tenant=request.tenant)
    can_edit = has_permission(request, "catalog.edit")
    rows = [(e, bound if bound is not None and bound.instance.pk == e.pk else _entry_form(request, e))
            for e in entries] if can_edit else [(e, None) for e in entries]
    context = {
        "rows": rows,
        "can_edit": can_edit,
        "features": len({e.feature for e in entries}),
        "milestones": sum(1 for e in entries if e.is_value_milestone),
        "add_form": add_form or CatalogEntryForm(tenant=request.tenant, auto_id="id_new_%s"),
        "unknown": catalog_selectors.unknown_event_names(tenant=request.tenant),
        "definitions": DEFS,
        "notice": notice,  # an htmx swap has no page reload to show the messages framework's note
    }
    return render_list(request, "health/catalog.html", context, partial="catalog")


def _saved(request: HttpRequest, message: str) -> HttpResponse:
    if wants_partial(request):
        return _catalog_page(request, notice=message)
    messages.success(request, message)
    return redirect("catalog", tenant_slug=request.tenant.slug)


def _save(request: HttpRequest, form: CatalogEntryForm) -> CatalogEntry | None:
    try:
        return save_catalog_entry(tenant=request.tenant, entry=form.save(commit=False))
    except CatalogConflict as exc:
        form.add_error("event_name", str(exc))
        return None


@require_GET
@requires("usage.view")
def catalog(request: HttpRequest) -> HttpResponse:
    return _catalog_page(request)


@require_POST
@requires("catalog.edit")
def catalog_add(request: HttpRequest) -> HttpResponse:
    form = CatalogEntryForm(request.POST, tenant=request.tenant, auto_id="id_new_%s")
    if form.is_valid() and (entry := _save(request, form)) is not None:
        return _saved(request, f"“{entry.event_name}” added to the catalog as {entry.feature}.")
    return _catalog_page(request, add_form=form)


@require_http_methods(["GET", "POST"])
@requires("catalog.edit")
def catalog_edit(request: HttpRequest, catalogentry_pk: int) -> HttpResponse:
    entry = get_catalogentry_for_tenant(request.tenant, pk=catalogentry_pk)
    form = _entry_form(request, entry, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid() and (saved := _save(request, form)) is not None:
            return _saved(request, f"“{saved.event_name}” saved.")
        if wants_partial(request):
            return _catalog_page(request, bound=form)
    return render(request, "health/catalog_edit.html", {"entry": entry, "form": form})


@require_POST
@requires("catalog.edit")
def catalog_delete(request: HttpRequest, catalogentry_pk: int) -> HttpResponse:
    entry = get_catalogentry_for_tenant(request.tenant, pk=catalogentry_pk)
    name = entry.event_name
    delete_catalog_entry(tenant=request.tenant, entry=entry)
    return _saved(request, f"“{name}” removed from the catalog; its events count for no feature now.")
