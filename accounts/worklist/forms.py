"""The task list's filters (a bad value is ignored and named above the list, like the account list's), and
the forms of a task's page: snooze, comment, reassign, change the due day."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import default_show
from accounts.worklist.models import COMMENT_MAX
from accounts.worklist.selectors import Status
from cs_platform.web.fields import BoundedDateField

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


class DayInput(forms.DateInput):
    input_type = "date"


class SnoozeForm(forms.Form):
    until = BoundedDateField(label="Snooze until", widget=DayInput,
                             help_text="a local day after today, at most a year ahead: hidden until then")


class CommentForm(forms.Form):
    comment = forms.CharField(label="Comment", max_length=COMMENT_MAX, strip=True,
                              widget=forms.Textarea(attrs={"rows": 3}))


class DueForm(forms.Form):
    due_on = BoundedDateField(label="Due day", widget=DayInput)


class AssigneeForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Assignee", empty_label="nobody")

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users  # the tenant's admins, managers and CSMs (a selector's queryset)
