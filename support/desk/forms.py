"""Forms of the agent desk pages."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Tenant
from cs_platform.bounds import MINUTES_IN_INT4_SECONDS
from cs_platform.web.fields import BoundedDateTimeField
from support.desk.macros import PLACEHOLDERS, unknown_placeholders
from support.desk.selectors import INBOX_SORTS, SLA_STATES, team_choices
from support.models import Agent, Channel, Macro, Priority, TicketStatus
from support.records.models import MAX_TAG, MAX_TAGS

SORT_CHOICES = [
    ("-updated", "Recently updated"),
    ("updated", "Least recently updated"),
    ("-created", "Newest"),
    ("created", "Oldest"),
    ("priority", "Priority"),
    ("due", "SLA due first"),
]


assert {s.lstrip("-") for s, _ in SORT_CHOICES} <= set(INBOX_SORTS)


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search",
                        widget=forms.TextInput(attrs={"placeholder": "subject, contact, email, id", "type": "search"}))
    status = forms.ChoiceField(required=False, choices=[("", "Unresolved"), ("any", "Any"), *TicketStatus.choices])
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])
    team = forms.ChoiceField(required=False)
    assignee = forms.ChoiceField(required=False)
    sla = forms.ChoiceField(required=False, label="SLA", choices=[("", "Any"), *SLA_STATES.items()])
    priority = forms.ChoiceField(required=False, choices=[("", "Any"), *Priority.choices])
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, tenant: Tenant, agents: list[Agent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in team_choices(tenant=tenant)}
        self.fields["team"].choices = [("", "Any"), *((k, t.name) for k, t in self.teams.items())]
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me"), ("unassigned", "Unassigned"),
                                           *((str(a.pk), str(a)) for a in agents)]

    def selector_kwargs(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "channel": data.get("channel") or "",
            "team": self.teams.get(data.get("team") or ""),
            "assignee": data.get("assignee") or "",
            "sla": data.get("sla") or "",
            "priority": data.get("priority") or "",
            "sort": data.get("sort") or "-updated",
        }


class ReplyForm(forms.Form):
    KIND_CHOICES = [("reply", "Public reply"), ("note", "Internal note")]

    kind = forms.ChoiceField(choices=KIND_CHOICES, initial="reply", widget=forms.RadioSelect)
    channel = forms.ChoiceField(choices=Channel.choices, help_text="the channel the reply goes out on")
    macro = forms.ChoiceField(required=False, label="Macro")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "id": "reply-body"}), max_length=200_000)

    def __init__(self, *args: Any, macros: list[Macro], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["macro"].choices = [("", "— insert a macro —"), *((str(m.pk), m.name) for m in macros)]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=TicketStatus.choices)


class AssignForm(forms.Form):
    agent = forms.ChoiceField(required=False, label="Assignee")

    def __init__(self, *args: Any, agents: list[Agent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        self.fields["agent"].choices = [("", "Unassigned"), *((k, str(a)) for k, a in self.agents.items())]

    def chosen_agent(self) -> Agent | None:
        return self.agents.get(self.cleaned_data.get("agent") or "")


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ["name", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {"body": "Placeholders: " + ", ".join("{{ %s }}" % p for p in PLACEHOLDERS)}  # noqa: UP031

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.warnings: list[str] = []

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Macro.objects.filter(tenant=self.tenant, name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A macro with this name exists already.")
        return name

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        unknown = unknown_placeholders(body)
        if unknown:
            # A warning, not an error: the text is kept as written and shows up verbatim in replies.
            self.warnings.append(
                "Unknown placeholders are left as they are in replies: "
                + ", ".join("{{ %s }}" % u for u in unknown)  # noqa: UP031
                + ". Known ones: " + ", ".join(PLACEHOLDERS) + "."
            )
        return body


class CallbackScheduleForm(forms.Form):
    due_at = BoundedDateTimeField(required=False, label="Call at",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 help_text="in the tenant's time zone; empty = as soon as possible")
    note = forms.CharField(required=False, max_length=2000)


class CallbackCompleteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000,
                           label="Call notes")
    # Stored as handle seconds, bounded like the API's handle_seconds (a huge float would become inf).
    minutes = forms.FloatField(required=False, min_value=0, max_value=MINUTES_IN_INT4_SECONDS,
                               label="Call length (minutes)")


class TagsForm(forms.Form):
    """The ticket's tags, comma-separated; support.records.data.normalize_tags holds the rules (the API's too)."""

    tags = forms.CharField(required=False, max_length=MAX_TAGS * (MAX_TAG + 2), label="Tags",
                           help_text=f"comma-separated, at most {MAX_TAGS}, each at most {MAX_TAG} characters")

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].split(",") if t.strip()]


class MergeForm(forms.Form):
    into = forms.CharField(max_length=128, label="Merge into ticket",
                           help_text="the id of the ticket that stays (e.g. one of the customer's other tickets)")
