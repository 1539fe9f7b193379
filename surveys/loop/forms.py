"""The closed-loop page's period: local days (tenant time zone), the last 90 by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from cs_platform.web.fields import BoundedDateField

DEFAULT_DAYS = 90
MAX_DAYS = 731  # two years: the lists are bounded anyway, the figures' cost grows with the period


class PeriodForm(forms.Form):
    start = BoundedDateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["start"].initial = today - dt.timedelta(days=DEFAULT_DAYS - 1)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start = data.get("start") or self.fields["start"].initial
        end = data.get("end") or self.fields["end"].initial
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error("start", "From: must be on or before To.")
        elif (end - start).days >= MAX_DAYS:
            self.add_error("start", f"From: the period is at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def bounds(self, zone: dt.tzinfo) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
        """The days and ``[start, end)`` in UTC: from the first local midnight to the one after the end day."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        first = dt.datetime.combine(start, dt.time(), tzinfo=zone)
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start, end, first, after
