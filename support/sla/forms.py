"""Forms of the SLA pages: policies, business calendars (weekly hours as one text field per weekday,
e.g. ``09:00-12:00, 13:00-17:00``), holidays. Per-tenant uniqueness is checked here, naming the field."""

from __future__ import annotations

import re
import zoneinfo

from django import forms

from accounts.models import Tenant
from cs_platform.bounds import INT4_MAX
from cs_platform.web.fields import BoundedDateField
from support.models import BusinessCalendar, Holiday, Priority, SlaPolicy
from support.sla.calendar import WEEKDAYS, CalendarError, format_day, parse_day

# A target is stored in seconds in an int4 column (35,791,395 minutes overflowed it: a 500), and due times
# are walked through business calendars: a year of calendar time bounds both, far past any real SLA.
MAX_TARGET_MINUTES = 366 * 24 * 60
assert MAX_TARGET_MINUTES * 60 <= INT4_MAX
DURATION_HELP = f"Minutes, 1 to {MAX_TARGET_MINUTES:,} (a year); blank = no target."


TIER_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


class SlaPolicyForm(forms.ModelForm):
    first_response_minutes = forms.IntegerField(required=False, min_value=1, max_value=MAX_TARGET_MINUTES,
                                                label="First response (minutes)", help_text=DURATION_HELP)
    next_response_minutes = forms.IntegerField(required=False, min_value=1, max_value=MAX_TARGET_MINUTES,
                                               label="Next response (minutes)", help_text=DURATION_HELP)
    resolution_minutes = forms.IntegerField(required=False, min_value=1, max_value=MAX_TARGET_MINUTES,
                                            label="Resolution (minutes)", help_text=DURATION_HELP)

    class Meta:
        model = SlaPolicy
        fields = ("name", "tier", "priority", "is_active")
        labels = {"is_active": "Active"}

    TARGETS = ("first_response", "next_response", "resolution")

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["tier"].help_text = "The accounts' tier, e.g. premium (matched lower-cased); blank = any tier."
        self.fields["priority"] = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
        # Declared here, not by the ModelForm metaclass: a queryset built at import time would have no tenant.
        self.fields["calendar"] = forms.ModelChoiceField(
            queryset=BusinessCalendar.objects.filter(tenant=tenant).order_by("name"), required=False,
            empty_label="Calendar time (24/7)", label="Business-hours calendar", initial=self.instance.calendar_id,
        )
        self.order_fields(["name", "tier", "priority", "calendar"])
        for name in self.TARGETS:
            seconds = getattr(self.instance, f"{name}_seconds")
            if seconds is not None:
                self.initial[f"{name}_minutes"] = seconds // 60

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if SlaPolicy.objects.filter(tenant=self.tenant, name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another policy has this name.")
        return name

    def clean_tier(self) -> str:
        """Tiers are free text set by integrations, and a vendor often writes its SLA before importing
        the accounts that carry the tier, so any tier-like word is accepted. Matching is exact after
        lower-casing, as ``upsert_accounts`` stores tiers lower-cased."""
        tier = (self.cleaned_data.get("tier") or "").strip().lower()
        if tier and not TIER_PATTERN.match(tier):
            raise forms.ValidationError("A tier is one word of letters, digits, '-' or '_' (e.g. premium).")
        return tier

    def clean(self) -> dict:
        data = super().clean()
        if not any(data.get(f"{name}_minutes") for name in self.TARGETS) and not self.errors:
            raise forms.ValidationError("Set at least one target.")
        return data

    def apply_targets(self) -> SlaPolicy:
        self.instance.calendar = self.cleaned_data.get("calendar")
        for name in self.TARGETS:
            minutes = self.cleaned_data.get(f"{name}_minutes")
            setattr(self.instance, f"{name}_seconds", minutes * 60 if minutes else None)
        return self.instance


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ("name", "timezone")

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        hours = self.instance.weekly_hours or {}
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                required=False, label=label, initial=format_day(hours.get(str(day), [])),
                help_text="e.g. 09:00-17:00 or 09:00-12:00, 13:00-17:00; blank = closed" if day == 0 else "",
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if BusinessCalendar.objects.filter(tenant=self.tenant, name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another calendar has this name.")
        return name

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError("Not a time zone name like Europe/Paris.")
        return name

    def clean(self) -> dict:
        data = super().clean()
        weekly = {}
        for day in range(7):
            try:
                weekly[str(day)] = parse_day(data.get(f"day_{day}", ""))
            except CalendarError as exc:
                self.add_error(f"day_{day}", str(exc))
        if not self.errors and not any(weekly.values()):
            raise forms.ValidationError("Give at least one day some working hours.")
        self.instance.weekly_hours = weekly
        return data


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ("date", "name")
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"date": BoundedDateField}
