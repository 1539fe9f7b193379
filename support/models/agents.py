"""Support agents, their teams, and presence: online sessions and scheduled shifts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantOwnedModel


class Team(TenantOwnedModel):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="support_team_unique_name")]

    def __str__(self) -> str:
        return self.name


class TeamManager(TenantOwnedModel):
    """A staff user who manages a team: a ``manager`` sees that team's figures in the support reports
    (support.report_views); a manager of no team sees none. Admins see every team regardless."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="managers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "team", "user"], name="support_team_manager_unique")]
        indexes = [models.Index(fields=["tenant", "user"], name="support_team_manager_user")]


class Agent(TenantOwnedModel):
    """A person who answers customers: a staff user with the agent role (``user`` set), or an agent
    known only by email from the API (a helpdesk's agents, ``user`` null until they sign in)."""

    email = models.EmailField(help_text="stored lower-case; the API addresses agents by it")
    name = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant", Lower("email"), name="support_agent_unique_email"),
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=models.Q(user__isnull=False), name="support_agent_unique_user"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "team"], name="support_agent_team")]

    def __str__(self) -> str:
        return self.name or self.email


class AgentSession(TenantOwnedModel):
    """``online``: the agent was available (presence); ``scheduled``: a planned shift.

    Utilization (METRICS.md) = online seconds / scheduled seconds, both clipped to the period. An open
    session (``ended_at`` null) is still running; at most one ``online`` session per agent is open.
    """

    class Kind(models.TextChoices):
        ONLINE = "online", "Online"
        SCHEDULED = "scheduled", "Scheduled shift"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONLINE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Idempotency of POST /agent-sessions/bulk.
            models.UniqueConstraint(
                fields=["tenant", "agent", "kind", "started_at"], name="support_session_unique_start"
            ),
            models.UniqueConstraint(
                fields=["tenant", "agent"],
                condition=models.Q(kind="online", ended_at__isnull=True),
                name="support_session_one_open_online",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="support_session_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "started_at"], name="support_session_kind_start"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"
