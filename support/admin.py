"""Admin of support records for operators, on accounts.admin's tenant-limited base.

Teams and agents may be edited here. Tickets, interactions, history, sessions, identities and merges
are read-only: their denormalized columns are kept by support.services, which the admin would bypass.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import TenantScopedAdmin
from support.models import (
    Agent,
    AgentSession,
    ContactIdentity,
    ContactMerge,
    Interaction,
    Team,
    Ticket,
    TicketAssignment,
    TicketStatusChange,
)


class ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "created_at")
    search_fields = ("name",)


@admin.register(Agent)
class AgentAdmin(TenantScopedAdmin):
    list_display = ("email", "name", "tenant", "team", "user", "is_active")
    list_select_related = ("tenant", "team", "user")
    search_fields = ("email", "name")
    raw_id_fields = ("user",)


@admin.register(AgentSession)
class AgentSessionAdmin(ReadOnlyAdmin):
    list_display = ("agent", "kind", "tenant", "started_at", "ended_at")
    list_select_related = ("tenant", "agent")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "subject", "tenant", "channel", "priority", "status", "created_at",
                    "first_response_at", "resolved_at")
    search_fields = ("external_id", "subject")
    raw_id_fields = ("account", "contact", "assignee", "team", "first_responder", "resolved_assignee")


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "tenant", "channel", "direction", "author_type", "is_internal", "started_at")
    search_fields = ("external_id",)
    raw_id_fields = ("ticket", "agent", "contact", "queue_team")


@admin.register(TicketStatusChange)
class TicketStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "status", "changed_at", "tenant")
    raw_id_fields = ("ticket", "agent", "changed_by")


@admin.register(TicketAssignment)
class TicketAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "agent", "assigned_at", "tenant")
    raw_id_fields = ("ticket", "agent", "assigned_by")


@admin.register(ContactIdentity)
class ContactIdentityAdmin(ReadOnlyAdmin):
    list_display = ("kind", "value", "contact", "tenant")
    search_fields = ("value",)
    raw_id_fields = ("contact",)


@admin.register(ContactMerge)
class ContactMergeAdmin(ReadOnlyAdmin):
    list_display = ("merged_external_id", "kept_contact", "merged_by", "merged_at", "tenant")
    raw_id_fields = ("kept_contact", "merged_by")
