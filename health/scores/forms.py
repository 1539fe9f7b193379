"""The override form of the account health page: what a CSM types, bounded before the service checks it again
(health.scores.overrides owns the rules; its OverrideError lands on the field it names)."""

from __future__ import annotations

import datetime as dt

from django import forms

from health.scores.models import REASON_MAX
from health.scores.overrides import MAX_DAYS_AHEAD

DEFAULT_DAYS = 30


class OverrideForm(forms.Form):
    score = forms.FloatField(required=False, min_value=0, max_value=100,
                             help_text="0-100; leave empty to override the band alone")
    band = forms.ChoiceField(required=False, help_text="empty: the band of your score")
    reason = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=f"why (1 to {REASON_MAX} characters); kept in the history")
    expires_on = forms.DateField(help_text="the override ends at the end of this local day "
                                           f"(at most {MAX_DAYS_AHEAD - 1} days from today)",
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, bands: list[str], today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["band"].choices = [("", "— the band of the score —"), *((b, b) for b in bands)]
        self.fields["expires_on"].initial = today + dt.timedelta(days=DEFAULT_DAYS)

    def clean_expires_on(self) -> dt.date:
        day = self.cleaned_data["expires_on"]
        if day < self.today:
            raise forms.ValidationError("must be today or later")
        if day > self.today + dt.timedelta(days=MAX_DAYS_AHEAD - 1):
            raise forms.ValidationError(f"at most {MAX_DAYS_AHEAD - 1} days from today")
        return day

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("score") is None and not cleaned.get("band") \
                and not {"score", "band"} & set(self.errors):
            self.add_error("score", "give a score, a band, or both")
        return cleaned
