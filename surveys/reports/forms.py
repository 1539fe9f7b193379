"""The filters of the results pages. Every field is bounded (scores to the widest scale, lengths, dates in
cs_platform.bounds' window), so bad input is a form error naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accounts.models import LifecycleStage
from accounts.selectors import account_tiers
from cs_platform.web.fields import BoundedDateField
from support.reports.forms import PeriodForm
from surveys.reports.selectors import GROUP_BYS
from surveys.scales import Band, Kind

GROUP_LABELS = {"none": "Overall", "month": "Month", "account": "Account", "agent": "Agent", "team": "Team",
                "channel": "Channel", "survey": "Survey"}


class ReportForm(PeriodForm):
    """The support reports' period picker plus the grouping (the tabs set it too; a bad value is a form error)."""

    group_by = forms.ChoiceField(label="Group by", choices=[(g, GROUP_LABELS[g]) for g in GROUP_BYS], required=False)

    def clean_group_by(self) -> str:
        return self.cleaned_data.get("group_by") or "none"


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class CommentFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in the comment"}))
    kind = forms.ChoiceField(required=False, choices=_blank("Any kind") + Kind.choices)
    band = forms.ChoiceField(required=False, choices=_blank("Any band") + Band.choices,
                             help_text="low / neutral / high for CSAT and CES; detractor / passive / promoter for NPS")
    score = forms.IntegerField(required=False, min_value=0, max_value=10)
    # Set by the account links of the list (an id; another tenant's matches nothing: the selector is scoped).
    account = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, label="Account id")
    date_from = BoundedDateField(label="From", required=False, input_formats=["%Y-%m-%d"],
                                 widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateField(label="To (inclusive)", required=False, input_formats=["%Y-%m-%d"],
                               widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Must not be before “From”.")
        return data

    def selector_kwargs(self) -> dict[str, Any]:
        """Only the valid fields (an invalid one is shown as an error and left out)."""
        data = self.cleaned_data
        end = data.get("date_to")
        return {"q": (data.get("q") or "").strip(), "kind": data.get("kind") or "", "band": data.get("band") or "",
                "score": data.get("score"), "account_id": data.get("account"), "start": data.get("date_from"),
                "end": end + dt.timedelta(days=1) if end else None}


class SegmentForm(PeriodForm):
    """The period picker plus the account list's segment filters (accounts.selectors.account_list)."""

    q = forms.CharField(required=False, max_length=200, label="Account",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, domain or id"}))
    stage = forms.ChoiceField(required=False, label="Stage", choices=_blank("Any stage") + LifecycleStage.choices)
    tier = forms.ChoiceField(required=False, label="Tier")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = _blank("Any tier") + [(t, t) for t in account_tiers(self.tenant)]

    def segment(self) -> dict[str, str]:
        data = self.cleaned_data
        return {"q": (data.get("q") or "").strip(), "lifecycle_stage": data.get("stage") or "",
                "tier": data.get("tier") or ""}
