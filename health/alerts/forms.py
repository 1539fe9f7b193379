"""Forms of the alert pages: a rule (its parameters built from health.alerts.rules.PARAMS, with the same
bounds), a playbook, a step, and the start of a playbook on an account."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import CustomerAccount, Tenant
from accounts.selectors import account_by_external_id, account_choices
from health.alerts.models import DETAIL_MAX, NAME_MAX, TITLE_MAX, AlertRule, RuleKind
from health.alerts.rules import DUE_MAX, PARAMS
from health.alerts.selectors import active_playbooks, playbook_choices
from health.alerts.services import OFFSET_MAX, PlaybookData, RuleData, StepData

PARAM_PREFIX = "param_"


class RuleForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX)
    is_active = forms.BooleanField(required=False, label="Active")
    due_in_days = forms.IntegerField(min_value=0, max_value=DUE_MAX, label="Task due after (days)")
    playbook = forms.ModelChoiceField(queryset=None, required=False, empty_label="(none)",
                                      help_text="started once for each new alert of this rule")

    def __init__(self, *args: Any, tenant: Tenant, rule: AlertRule, **kwargs: Any) -> None:
        params = rule.params or {}
        initial = {"name": rule.name, "is_active": rule.is_active, "due_in_days": rule.due_in_days,
                   "playbook": rule.playbook_id, **{PARAM_PREFIX + k: v for k, v in params.items()}}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["playbook"].queryset = playbook_choices(tenant=tenant)
        for p in PARAMS[rule.kind]:
            name = PARAM_PREFIX + p.name
            if p.kind == "band":
                self.fields[name] = forms.CharField(label=p.label, max_length=32, required=False,
                                                    help_text=p.describe())
            elif p.kind == "share":
                self.fields[name] = forms.FloatField(label=p.label, min_value=p.low, max_value=p.high,
                                                     help_text=f"{p.describe()} (0.3 = 30%)")
            else:
                self.fields[name] = forms.IntegerField(label=p.label, min_value=p.low, max_value=p.high)
        self.kind = rule.kind

    def to_data(self) -> RuleData:
        d = self.cleaned_data
        params = {p.name: d[PARAM_PREFIX + p.name] for p in PARAMS[self.kind]}
        return RuleData(name=d["name"], is_active=d["is_active"], params=params, due_in_days=d["due_in_days"],
                        playbook=d["playbook"])


class PlaybookForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(max_length=DETAIL_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def to_data(self) -> PlaybookData:
        d = self.cleaned_data
        return PlaybookData(name=d["name"], description=d["description"], is_active=d["is_active"])


class StepForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    detail = forms.CharField(max_length=DETAIL_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_offset_days = forms.IntegerField(min_value=0, max_value=OFFSET_MAX, initial=0,
                                         label="Due (days after the start)")

    def to_data(self) -> StepData:
        d = self.cleaned_data
        return StepData(title=d["title"], detail=d["detail"], due_offset_days=d["due_offset_days"])


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class StartForm(forms.Form):
    """Start a playbook by hand: the account by its external id or its exact name (a name several accounts
    share asks for the external id)."""

    account = forms.CharField(max_length=200, label="Account (external id or name)")

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_account(self) -> CustomerAccount:
        text = " ".join(self.cleaned_data["account"].split())
        found = account_by_external_id(tenant=self.tenant, external_id=text)
        if found is not None:
            return found
        named = list(account_choices(self.tenant).filter(name__iexact=text)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            raise forms.ValidationError("Several accounts have this name: enter the external id.")
        raise forms.ValidationError("No account has this external id or name.")


class AccountStartForm(forms.Form):
    """Start a playbook on the account of the page: which active playbook."""

    playbook = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["playbook"].queryset = active_playbooks(tenant=tenant)


class AlertFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Every kind"), *RuleKind.choices], required=False)

    def kind_value(self) -> str:
        return self.cleaned_data.get("kind", "") if self.is_bound and self.is_valid() else ""
