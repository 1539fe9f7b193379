"""The task list's filters (a bad value is ignored and named above the list, like the account list's)."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import default_show
from accounts.worklist.selectors import Status

SHOW_CHOICES = [("mine", "My tasks"), ("all", "Everyone's tasks")]


class TaskFilterForm(forms.Form):
    show = forms.ChoiceField(required=False, label="Show", choices=SHOW_CHOICES)
    status = forms.ChoiceField(required=False, label="Status", choices=Status.CHOICES)
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args: Any, role: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_show = default_show(role)  # a CSM lands on their own tasks, the others on everyone's
        self.fields["show"].initial = self.default_show
        self.fields["status"].initial = Status.OPEN

    def selector_kwargs(self, *, user: Any) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound else {}
        show = data.get("show") or self.default_show
        return {"assignee": user if show == "mine" else None, "status": data.get("status") or Status.OPEN,
                "overdue": bool(data.get("overdue"))}
