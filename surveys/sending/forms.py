"""Forms of the sending pages: the tenant's policy, and the filters of the invitation and outbox lists."""

from __future__ import annotations

from django import forms

from support.models import Channel
from surveys.languages import MAX_LANGUAGE, validate_language
from surveys.sending.models import (
    MAX_DAYS,
    MAX_RULE_ITEMS,
    MAX_TAG,
    InvitationStatus,
    OutboxMessage,
    SuppressionReason,
    SurveyPolicy,
)
from surveys.sending.services import POLICY_FIELDS, PolicyData


class TagsField(forms.CharField):
    """Comma-separated ticket tags, each bounded, at most MAX_RULE_ITEMS of them, compared lower-cased."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_RULE_ITEMS * (MAX_TAG + 2))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        tags = list(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
        if len(tags) > MAX_RULE_ITEMS:
            raise forms.ValidationError(f"Skip tags: at most {MAX_RULE_ITEMS} tags.")
        if too_long := [t for t in tags if len(t) > MAX_TAG]:
            raise forms.ValidationError(f"Skip tags: a tag has at most {MAX_TAG} characters ({too_long[0][:20]}…).")
        return tags


class PolicyForm(forms.Form):
    contact_cooldown_days = forms.IntegerField(
        min_value=0, max_value=MAX_DAYS, label="Contact cooldown (days)",
        help_text="a contact is surveyed at most once per this many days, every kind together (0 = no limit)")
    account_monthly_limit = forms.IntegerField(
        min_value=0, max_value=100_000, required=False, label="Account monthly limit",
        help_text="invitations sent to an account's contacts per calendar month in the tenant's time zone "
                  "(empty = no limit, 0 = none)")
    default_language = forms.CharField(
        max_length=MAX_LANGUAGE, validators=[validate_language],
        help_text="the invitation's language when the contact has none (en, tr, zh-Hans, ta, pt-BR ...)")
    expiry_days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, label="Link expiry (days)",
                                     help_text="days from sending until the survey link stops working")
    csat_on_resolution = forms.BooleanField(required=False, label="Send a CSAT when a ticket is resolved")
    csat_skip_channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="No CSAT for tickets opened on")
    csat_skip_tags = TagsField(required=False, label="No CSAT for tickets tagged",
                               help_text=f"comma-separated, at most {MAX_RULE_ITEMS}")
    csat_skip_auto_resolved = forms.BooleanField(
        required=False, label="No CSAT for automatic resolutions",
        help_text="a resolution that no agent or person made")
    csat_ask_again = forms.BooleanField(
        required=False, label="Ask again on a later resolution",
        help_text="a ticket reopened and resolved again is surveyed again (the fatigue budget still applies)")

    @classmethod
    def for_policy(cls, data, policy: SurveyPolicy) -> PolicyForm:
        return cls(data, initial={name: getattr(policy, name) for name in POLICY_FIELDS})

    def policy_data(self) -> PolicyData:
        return PolicyData(**{name: self.cleaned_data[name] for name in POLICY_FIELDS})


class InvitationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any"), *InvitationStatus.choices], required=False)
    reason = forms.ChoiceField(choices=[("", "any"), *SuppressionReason.choices], required=False,
                               label="Suppressed because")

    def selector_kwargs(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {"status": data.get("status") or None, "reason": data.get("reason") or None}


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any"), *OutboxMessage.Status.choices], required=False)

    def selector_kwargs(self) -> dict:
        return {"status": getattr(self, "cleaned_data", {}).get("status") or None}


class StaffInviteForm(forms.Form):
    """A person sends one contact a survey now (through the same budget as every invitation)."""

    survey = forms.TypedChoiceField(coerce=int, help_text="active surveys only")

    def __init__(self, *args, surveys, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = [(s.pk, f"{s.name} ({s.get_kind_display()})") for s in surveys]
