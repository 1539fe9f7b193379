"""Forms of the usage pages: the adoption window and the feature catalog."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Tenant
from health.usage.models import CatalogEntry
from health.usage.selectors.adoption import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS

WINDOW_CHOICES = [(7, "7 days"), (30, "30 days"), (90, "90 days")]


class WindowForm(forms.Form):
    """``?window=N``: the adoption window in local days. A bad value is reported and the default used."""

    window = forms.IntegerField(required=False, min_value=1, max_value=MAX_WINDOW_DAYS, label="Window (days)")

    def window_days(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("window"):
            return self.cleaned_data["window"]
        return DEFAULT_WINDOW_DAYS


class CatalogEntryForm(forms.ModelForm):
    """One catalog entry. The event name is unique per tenant; the check names the field instead of
    letting the database constraint answer a 500."""

    class Meta:
        model = CatalogEntry
        fields = ("event_name", "feature", "category", "is_value_milestone")
        labels = {"is_value_milestone": "Value milestone"}
        error_messages = {
            "event_name": {"required": "Enter the event name."},
            "feature": {"required": "Enter the feature this event belongs to."},
        }
        help_texts = {
            "event_name": "exactly as the product sends it",
            "feature": "several event names may share one feature; breadth counts features",
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.instance.tenant = tenant

    def clean_event_name(self) -> str:
        name = (self.cleaned_data.get("event_name") or "").strip()
        if not name:
            raise forms.ValidationError("Enter the event name.")
        taken = CatalogEntry.objects.filter(tenant=self.tenant, event_name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"“{name}” is already in the catalog.")
        return name

    def clean_feature(self) -> str:
        feature = (self.cleaned_data.get("feature") or "").strip()
        if not feature:
            raise forms.ValidationError("Enter the feature this event belongs to.")
        return feature

    def clean_category(self) -> str:
        return (self.cleaned_data.get("category") or "").strip()

    def validate_unique(self) -> None:
        # clean_event_name checked (tenant, event_name) within the tenant; Django's own check would
        # query without the tenant (the form does not expose the field) and is redundant.
        pass
