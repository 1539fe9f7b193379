"""SLA pages: policies (list, create, edit, delete) and business-hours calendars with their holidays.
Thin: parse, fetch through support.sla.access, read through support.sla.selectors, write through
support.sla.services, render."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import requires
from support.models import BusinessCalendar, SlaPolicy
from support.sla import selectors
from support.sla.access import get_businesscalendar_for_tenant, get_holiday_for_tenant, get_slapolicy_for_tenant
from support.sla.calendar import WEEKDAYS, format_day
from support.sla.forms import BusinessCalendarForm, HolidayForm, SlaPolicyForm
from support.sla.services import (
    PREMIUM_DEFAULT_NAME,
    add_holiday,
    create_default_sla,
    delete_calendar,
    delete_holiday,
    delete_policy,
    save_calendar,
    save_policy,
)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@require_GET
@requires("sla.manage")
def policy_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    policies = selectors.policy_list(tenant=tenant)
    for p in policies:
        p.targets = [_duration(p.first_response_seconds), _duration(p.next_response_seconds),
                     _duration(p.resolution_seconds)]
    calendars = selectors.calendar_list(tenant=tenant)
    # The premium default is offered only while missing (create_default_sla finds it by this name).
    has_default = any(p.name == PREMIUM_DEFAULT_NAME for p in policies)
    return render(request, "support/sla/policy_list.html", {"policies": policies, "calendars": calendars,
                                                            "default_name": PREMIUM_DEFAULT_NAME,
                                                            "has_default": has_default})


def _policy_form(request: HttpRequest, policy: SlaPolicy) -> HttpResponse:
    tenant = request.tenant
    form = SlaPolicyForm(request.POST or None, instance=policy, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        saved = save_policy(tenant=tenant, policy=form.apply_targets())
        messages.success(request, f"SLA policy “{saved.name}” saved. New tickets use it; existing ones keep "
                                  "their due times.")
        return redirect("sla-policy-list", tenant_slug=tenant.slug)
    return render(request, "support/sla/policy_form.html", {"form": form, "policy": policy})


@require_http_methods(["GET", "POST"])
@requires("sla.manage")
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form(request, SlaPolicy(tenant=request.tenant))


@require_http_methods(["GET", "POST"])
@requires("sla.manage")
def policy_edit(request: HttpRequest, slapolicy_pk: int) -> HttpResponse:
    return _policy_form(request, get_slapolicy_for_tenant(request.tenant, pk=slapolicy_pk))


@require_POST
@requires("sla.manage")
def policy_delete(request: HttpRequest, slapolicy_pk: int) -> HttpResponse:
    policy = get_slapolicy_for_tenant(request.tenant, pk=slapolicy_pk)
    delete_policy(tenant=request.tenant, policy=policy)
    messages.success(request, f"SLA policy “{policy.name}” deleted; tickets keep their due times.")
    return redirect("sla-policy-list", tenant_slug=request.tenant.slug)


@require_POST
@requires("sla.manage")
def policy_create_default(request: HttpRequest) -> HttpResponse:
    policy, created = create_default_sla(tenant=request.tenant)
    messages.success(request, f"“{policy.name}” {'created' if created else 'already exists'}.")
    return redirect("sla-policy-list", tenant_slug=request.tenant.slug)


def _calendar_form(request: HttpRequest, calendar: BusinessCalendar) -> HttpResponse:
    tenant = request.tenant
    form = BusinessCalendarForm(request.POST or None, instance=calendar, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        saved = save_calendar(tenant=tenant, calendar=form.instance)
        messages.success(request, f"Calendar “{saved.name}” saved.")
        return redirect("sla-calendar-edit", tenant_slug=tenant.slug, businesscalendar_pk=saved.pk)
    holidays = selectors.calendar_holidays(tenant=tenant, calendar=calendar) if calendar.pk else []
    hours = [(label, format_day((calendar.weekly_hours or {}).get(str(d), [])) or "closed")
             for d, label in enumerate(WEEKDAYS)]
    return render(request, "support/sla/calendar_form.html", {
        "form": form, "calendar": calendar, "holidays": holidays, "holiday_form": HolidayForm(), "hours": hours,
    })


@require_http_methods(["GET", "POST"])
@requires("sla.manage")
def calendar_create(request: HttpRequest) -> HttpResponse:
    return _calendar_form(request, BusinessCalendar(tenant=request.tenant, timezone=request.tenant.timezone))


@require_http_methods(["GET", "POST"])
@requires("sla.manage")
def calendar_edit(request: HttpRequest, businesscalendar_pk: int) -> HttpResponse:
    return _calendar_form(request, get_businesscalendar_for_tenant(request.tenant, pk=businesscalendar_pk))


@require_POST
@requires("sla.manage")
def calendar_delete(request: HttpRequest, businesscalendar_pk: int) -> HttpResponse:
    calendar = get_businesscalendar_for_tenant(request.tenant, pk=businesscalendar_pk)
    try:
        delete_calendar(tenant=request.tenant, calendar=calendar)
    except RestrictedError:
        messages.error(request, f"Calendar “{calendar.name}” is used by SLA policies; change them first.")
        return redirect("sla-calendar-edit", tenant_slug=request.tenant.slug, businesscalendar_pk=calendar.pk)
    messages.success(request, f"Calendar “{calendar.name}” deleted.")
    return redirect("sla-policy-list", tenant_slug=request.tenant.slug)


@require_POST
@requires("sla.manage")
def holiday_add(request: HttpRequest, businesscalendar_pk: int) -> HttpResponse:
    calendar = get_businesscalendar_for_tenant(request.tenant, pk=businesscalendar_pk)
    form = HolidayForm(request.POST)
    if form.is_valid():
        add_holiday(tenant=request.tenant, calendar=calendar, date=form.cleaned_data["date"],
                        name=form.cleaned_data["name"])
        messages.success(request, f"Holiday {form.cleaned_data['date']} added.")
    else:
        messages.error(request, "Holiday not added: " + "; ".join(
            f"{field}: {' '.join(errs)}" for field, errs in form.errors.items()))
    return redirect("sla-calendar-edit", tenant_slug=request.tenant.slug, businesscalendar_pk=calendar.pk)


@require_POST
@requires("sla.manage")
def holiday_delete(request: HttpRequest, holiday_pk: int) -> HttpResponse:
    holiday = get_holiday_for_tenant(request.tenant, pk=holiday_pk)
    delete_holiday(tenant=request.tenant, holiday=holiday)
    messages.success(request, f"Holiday {holiday.date} removed.")
    return redirect("sla-calendar-edit", tenant_slug=request.tenant.slug, businesscalendar_pk=holiday.calendar_id)
