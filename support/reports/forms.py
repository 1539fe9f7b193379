"""The period picker of the report pages: this month, last month, year to date, or a custom range.

Dates are tenant-local. On the page a custom ``to`` is *inclusive* (the last day shown, as people read a
range); the selector's ``date_to`` is exclusive, so :meth:`PeriodForm.dates` adds a day. Bad input is a
form error, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from cs_platform.web.fields import BoundedDateField
from support.reports.api import MAX_RANGE_DAYS
from support.reports.periods import fiscal_year_start, next_month, previous_period, year_earlier

PERIODS = [("this_month", "This month"), ("last_month", "Last month"), ("ytd", "Year to date"),
           ("custom", "Custom")]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, initial="this_month")
    date_from = BoundedDateField(label="From", required=False, input_formats=["%Y-%m-%d"],
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateField(label="To (inclusive)", required=False, input_formats=["%Y-%m-%d"],
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, tenant, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant, self.today = tenant, today

    def clean(self) -> dict:
        data = super().clean()
        choice = data.get("period") or ("custom" if data.get("date_from") or data.get("date_to") else "this_month")
        data["period"] = choice
        if choice == "custom" and not self.errors:
            start, end = data.get("date_from"), data.get("date_to")
            if start is None:
                self.add_error("date_from", "Required for a custom period.")
            if end is None:
                self.add_error("date_to", "Required for a custom period.")
            if start and end:
                if end < start:
                    self.add_error("date_to", "Must not be before “From”.")
                elif (end - start).days >= MAX_RANGE_DAYS:
                    self.add_error("date_to", f"At most {MAX_RANGE_DAYS} days after “From”.")
        return data

    def dates(self) -> tuple[dt.date, dt.date]:
        """``(date_from, date_to)`` with ``date_to`` exclusive; call after ``is_valid()``."""
        choice, today = self.cleaned_data["period"], self.today
        month = today.replace(day=1)
        if choice == "last_month":
            start = (month - dt.timedelta(days=1)).replace(day=1)
            return start, month
        if choice == "ytd":
            return fiscal_year_start(tenant=self.tenant, today=today), today + dt.timedelta(days=1)
        if choice == "custom":
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"] + dt.timedelta(days=1)
        return month, next_month(month)

    def previous_dates(self) -> tuple[dt.date, dt.date]:
        """The comparison period of :meth:`dates` (support.reports.periods): the previous calendar month(s)
        for whole months, last year's same days for the year to date, else the same length just before."""
        start, end = self.dates()
        if self.cleaned_data["period"] == "ytd":
            return year_earlier(start, end)
        return previous_period(start, end)
