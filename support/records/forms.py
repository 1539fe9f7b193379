"""The team form: a name, the agents in the team and the managers (members with the manager role) who
manage it. Choices are this tenant's only, so an id of another tenant is an invalid choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from accounts.models import Role, Tenant
from accounts.selectors import users_with_role
from support.models import Agent, Team


class AgentChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, agent: Agent) -> str:
        where = f" (now in {agent.team.name})" if agent.team_id and agent.team_id != self.team_id else ""
        inactive = "" if agent.is_active else " (inactive)"
        who = f"{agent.name} <{agent.email}>" if agent.name else agent.email
        return f"{who}{inactive}{where}"


class ManagerChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: Any) -> str:
        full = user.get_full_name()
        return f"{full} <{user.email or user.get_username()}>" if full else (user.email or user.get_username())


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    agents = AgentChoices(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                          help_text="An agent belongs to one team: ticking one of another team moves them here.")
    managers = ManagerChoices(queryset=None, required=False,  # both set per tenant in __init__
                              widget=forms.CheckboxSelectMultiple,
                              help_text="Members with the manager role. A manager sees this team and its agents in "
                                        "the support reports.")

    def __init__(self, *args: Any, tenant: Tenant, team: Team | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant, self.team = tenant, team
        team_id = team.pk if team else None
        # Inactive agents only when already in the team, so that saving does not silently drop them.
        in_team = Q(team_id=team_id) if team_id else Q(pk__in=[])
        self.fields["agents"].queryset = (Agent.objects.filter(tenant=tenant).filter(Q(is_active=True) | in_team)
                                          .select_related("team").order_by("email"))
        self.fields["agents"].team_id = team_id
        self.fields["managers"].queryset = users_with_role(tenant=tenant, role=Role.MANAGER)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the team a name.")
        clash = Team.objects.filter(tenant=self.tenant, name__iexact=name)
        if self.team is not None:
            clash = clash.exclude(pk=self.team.pk)
        if clash.exists():
            raise forms.ValidationError("A team with this name exists already (names are compared ignoring case).")
        return name
