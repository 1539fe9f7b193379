"""The campaign form: the survey, name, drip window and recurrence; the segment is the account list's own
filter form (accounts.forms.AccountFilterForm, prefix ``segment``), so a segment is exactly what the list
shows for those filters. Unlike on the list, a bad segment value is an error here, not ignored: a
campaign emails the people it names."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import AccountFilterForm
from surveys.models import MAX_NAME, Campaign
from surveys.triggers.campaigns import SEGMENT_FIELDS, CampaignData, clean_segment

SEGMENT_PREFIX = "segment"


class CampaignForm(forms.Form):
    survey = forms.ModelChoiceField(queryset=None, empty_label=None,
                                    help_text="any kind; relationship campaigns are typically NPS")
    name = forms.CharField(max_length=MAX_NAME)
    window_days = forms.IntegerField(min_value=0, max_value=90, initial=7, label="Drip window (days)",
                                     help_text="invitations are spread evenly over this many days, 0-90")
    repeat_months = forms.IntegerField(min_value=1, max_value=36, required=False, label="Repeat every (months)",
                                       help_text="1-36: each contact is asked again this long after their last "
                                                 "answer (or unanswered invitation); empty = once")

    def __init__(self, data: Any = None, *, surveys: Any, campaign: Campaign | None = None) -> None:
        initial = {}
        if campaign is not None:
            initial = {"survey": campaign.survey_id, "name": campaign.name, "window_days": campaign.window_days,
                       "repeat_months": campaign.repeat_months}
        super().__init__(data, initial=initial)
        self.fields["survey"].queryset = surveys


def segment_filter_form(data: Any, *, tenant: Any, campaign: Campaign | None) -> AccountFilterForm:
    """The account filters, bound to the POST or (GET) to the campaign's stored segment."""
    if data is None and campaign is not None:
        data = {f"{SEGMENT_PREFIX}-{k}": v for k, v in clean_segment(campaign.segment).items()}
    form = AccountFilterForm(data, tenant=tenant, prefix=SEGMENT_PREFIX)
    for name in [n for n in form.fields if n not in SEGMENT_FIELDS]:
        del form.fields[name]  # "show" (mine/all) and "sort" mean nothing for a campaign
    return form


def segment_values(form: AccountFilterForm) -> dict[str, str]:
    data = form.cleaned_data
    owner = data.get("owner")
    return clean_segment({"q": (data.get("q") or "").strip(), "stage": data.get("stage"), "tier": data.get("tier"),
                          "owner": owner.pk if owner is not None else None, "renewal": data.get("renewal")})


def campaign_data(form: CampaignForm, segment: AccountFilterForm) -> CampaignData:
    d = form.cleaned_data
    return CampaignData(survey=d["survey"], name=d["name"], segment=segment_values(segment),
                        window_days=d["window_days"], repeat_months=d["repeat_months"])
