"""Support records: tickets, interactions, status and assignment history and open spans; customer
identities and contact merges; agents, teams, managers and presence (sessions and shifts)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower

from accounts.tenancy import TenantOwnedModel

MAX_TAG = 64
MAX_TAGS = 20


class Team(TenantOwnedModel):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="support_team_unique_name")]

    def __str__(self) -> str:
        return self.name


class TeamManager(TenantOwnedModel):
    """A staff user who manages a team: a ``manager`` sees that team's figures in the support reports
    (support.reports.views); a manager of no team sees none. Admins see every team regardless."""

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


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social handle"
    IN_APP = "in_app", "In-app user id"


class ContactIdentity(TenantOwnedModel):
    """``value`` is normalized (support.records.services.identities.normalize_identity): lower-case email,
    ``+`` and digits for phone, lower-case ``network:handle`` for social, the product's user id as is."""

    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "value"], name="support_identity_unique_value"),
        ]
        indexes = [models.Index(fields=["tenant", "contact"], name="support_identity_contact")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ContactMerge(TenantOwnedModel):
    """Audit row of one merge: the merged contact is described by its snapshot (it may be gone)."""

    kept_contact = models.ForeignKey(
        "accounts.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_external_id = models.CharField(max_length=128)
    merged_snapshot = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField()
    moved_counts = models.JSONField(default=dict, help_text='e.g. {"identities": 2, "tickets": 3, ...}')
    merged_contact_deleted = models.BooleanField(
        default=False, help_text="false when other apps' records still point at the merged contact"
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "kept_contact"], name="support_merge_kept")]

    def __str__(self) -> str:
        return f"{self.merged_external_id} -> {self.kept_contact_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"
    MESSAGING = "messaging", "Messaging"
    WEB = "web", "Web form"
    IN_APP = "in_app", "In-app"


LIVE_CHANNELS = (Channel.CHAT, Channel.PHONE)


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class AuthorType(models.TextChoices):
    CONTACT = "contact", "Contact"
    AGENT = "agent", "Agent"
    BOT = "bot", "Bot"
    SYSTEM = "system", "System"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Ticket(TenantOwnedModel):
    external_id = models.CharField(max_length=128, help_text="the integration's id; pages generate one")
    account = models.ForeignKey(
        "accounts.CustomerAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="tickets")
    channel = models.CharField(max_length=16, choices=Channel.choices, help_text="the channel it was opened on")
    subject = models.CharField(max_length=500, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW,
        help_text="the status of the latest history row (by changed_at)",
    )
    created_at = models.DateTimeField(help_text="when the customer opened it (may be historical)")
    assignee = models.ForeignKey(
        "support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey("support.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # METRICS.md: resolved_at = first change to resolved, last_resolved_at = the last one.
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_assignee = models.ForeignKey(
        "support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="assigned when first resolved: resolution times, tickets resolved and CSAT are attributed to it",
    )
    # METRICS.md FRT rule; first_responder is the agent the FRT is attributed to.
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        "support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SLA (filled by the SLA engine; here so that it does not have to migrate this table).
    sla_policy = models.ForeignKey(
        "support.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the policy whose targets set the due times below (chosen when the ticket is created)",
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    self_service_suggested = models.BooleanField(default=False)
    # db_default too: raw-SQL writers of tickets (bench/) name only the columns they know.
    tags = ArrayField(models.CharField(max_length=MAX_TAG), default=list, blank=True, size=MAX_TAGS,
                      db_default=Value([], output_field=ArrayField(models.CharField(max_length=MAX_TAG))),
                      help_text="lower-case labels (surveys' CSAT skip rules match them)")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="the ticket this one was merged into (then closed)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="support_ticket_unique_external_id"),
        ]
        indexes = [
            # Covering the support reports' reads (support.reports: tickets by created_at, by resolved_at), so
            # a year of tickets is an index-only scan rather than a visit to every wide ticket row.
            models.Index(fields=["tenant", "created_at"], name="support_ticket_created_at",
                         include=["first_response_at", "first_responder", "first_response_due_at", "sla_policy",
                                  "channel"]),
            models.Index(fields=["tenant", "resolved_at"], name="support_ticket_resolved_at",
                         include=["created_at", "last_resolved_at", "resolved_assignee", "channel"]),
            models.Index(fields=["tenant", "updated_at", "id"], name="support_ticket_updated"),
            models.Index(fields=["tenant", "status", "updated_at"], name="support_ticket_status"),
            models.Index(fields=["tenant", "assignee", "status"], name="support_ticket_assignee"),
            models.Index(fields=["tenant", "contact", "created_at"], name="support_ticket_contact"),
            models.Index(fields=["tenant", "account", "created_at"], name="support_ticket_account"),
            # The CSAT scheduler's sweep of recent resolutions (surveys.sending).
            models.Index(fields=["tenant", "last_resolved_at"], name="support_ticket_last_resolved"),
        ]

    def __str__(self) -> str:
        return self.subject or self.external_id

    @property
    def is_open(self) -> bool:
        return self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class EpochSeconds(models.Func):
    """Seconds of an interval as double precision (immutable, so usable in a generated column)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s))::double precision"
    output_field = models.FloatField()


class Interaction(TenantOwnedModel):
    """One contact on one channel (METRICS.md). For live inbound interactions ``started_at = queued_at``."""

    external_id = models.CharField(max_length=128)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    author_type = models.CharField(max_length=16, choices=AuthorType.choices)
    agent = models.ForeignKey(
        "support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_internal = models.BooleanField(default=False, help_text="an agent-only note")
    body = models.TextField(blank=True)
    started_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="null on a live interaction = abandoned")
    ended_at = models.DateTimeField(null=True, blank=True)
    handle_seconds = models.FloatField(null=True, blank=True, help_text="explicit handle time, as given")
    # The handle time METRICS.md uses: explicit, else ended_at - answered_at for live channels; null = none.
    handle_time_seconds = models.GeneratedField(
        expression=Case(
            When(handle_seconds__isnull=False, then=F("handle_seconds")),
            When(
                Q(channel__in=[c.value for c in LIVE_CHANNELS], answered_at__isnull=False, ended_at__isnull=False),
                then=EpochSeconds(F("ended_at") - F("answered_at")),
            ),
            default=None,
            output_field=models.FloatField(),
        ),
        output_field=models.FloatField(),
        db_persist=True,
    )
    queue_team = models.ForeignKey(
        "support.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="team of the queue a live interaction waited in (unanswered ones are attributed to it)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], name="support_interaction_unique_external_id"
            ),
        ]
        indexes = [
            # The support reports' reads (support.reports), each an index-only scan over its period: every
            # interaction by started_at; inbound live ones by queued_at; answered inbound chats by ended_at.
            models.Index(fields=["tenant", "started_at"], name="support_interaction_period",
                         include=["agent", "channel", "direction", "author_type", "is_internal", "handle_time_seconds",
                                  "answered_at", "queue_team"]),
            models.Index(fields=["tenant", "queued_at"], name="support_interaction_queue",
                         include=["answered_at", "ended_at", "agent", "queue_team", "author_type", "is_internal"],
                         condition=models.Q(direction="inbound", channel__in=["chat", "phone"])),
            models.Index(fields=["tenant", "ended_at"], name="support_interaction_chat_end",
                         include=["agent", "queue_team", "author_type", "is_internal"],
                         condition=models.Q(direction="inbound", channel="chat", answered_at__isnull=False)),
            models.Index(fields=["tenant", "agent", "started_at"], name="support_interaction_agent"),
            models.Index(fields=["tenant", "ticket", "started_at"], name="support_interaction_ticket"),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_live(self) -> bool:
        return self.channel in LIVE_CHANNELS


class TicketStatusChange(TenantOwnedModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=16, choices=TicketStatus.choices)
    changed_at = models.DateTimeField()
    agent = models.ForeignKey("support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "ticket", "changed_at"], name="support_status_ticket")]


class TicketOpenSpan(TenantOwnedModel):
    """When a ticket was open (derived; support.records.backlog keeps it): open for every instant T with
    ``opened_at < T <= closed_at`` (``closed_at`` null = still open). Rebuilt from the ticket's
    ``created_at`` and status history whenever either changes, so the backlog at any set of instants is
    one pass over this narrow table instead of a latest-status lookup per ticket and instant."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)  # the ticket's, for the backlog by channel
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "ticket"], name="support_openspan_ticket"),
            # The backlog reads spans still open at its earliest instant: closed after it, or never.
            models.Index(fields=["tenant", "closed_at"], include=["opened_at", "channel"],
                         name="support_openspan_closed"),
        ]


class TicketAssignment(TenantOwnedModel):
    """Assignment history; ``agent`` null = unassigned from then on."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments")
    agent = models.ForeignKey("support.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "ticket", "assigned_at"], name="support_assignment_ticket")]
