"""Integration API of the support desk (API.md): agents, presence, tickets, interactions, status.

Views stay thin: fetch through ``support.records.access``, parse with ``support.records.inputs`` into the
typed inputs of ``support.records.data`` (which check the domain rules), call a service, answer. Choices
documented in the OpenAPI schema:
- ``POST /tickets`` creates (201) or updates (200) by ``external_id``; a new ticket needs ``channel``
  and a contact: ``contact`` (external id) or ``contact_email`` / ``contact_phone`` / ``contact_social``,
  matched through identities or creating the contact (in ``account``, or the account of the email's domain).
- ``POST /tickets/{id}/interactions`` answers 201 when created, 200 when the external_id was known
  (updated with the values given, or a duplicate): retries never duplicate.
- The object is looked up before the body is validated, so another tenant's ticket is a 404 whatever
  the body.
"""

from __future__ import annotations

from typing import Any, TypeVar

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.filters import OffsetDateTimeFilter
from cs_platform.api.parsers import BoundedJSONParser
from cs_platform.api.views import LIST_DESCRIPTION, UPDATED_SINCE, BulkUpsertView, TenantListView
from cs_platform.bulk import MAX_BATCH
from support.models import Channel, Interaction, Ticket, TicketStatus, TicketStatusChange
from support.records import selectors
from support.records.access import get_ticket_for_tenant
from support.records.data import InputError, InteractionData, RecordError, StatusData, TicketData
from support.records.inputs import (
    AgentItem,
    AgentSessionItem,
    InteractionInput,
    StatusInput,
    TicketInput,
    TicketMergeInput,
)
from support.records.services.agents import record_agent_sessions, upsert_agents
from support.records.services.tickets import append_interaction, change_status, merge_tickets, upsert_ticket


class TicketSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", allow_null=True, read_only=True,
                                    help_text="the account's external_id")
    contact = serializers.CharField(source="contact.external_id", read_only=True,
                                    help_text="the contact's external_id")
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, read_only=True)
    team = serializers.CharField(source="team.name", allow_null=True, read_only=True)
    first_responder = serializers.EmailField(source="first_responder.email", allow_null=True, read_only=True,
                                             help_text="the agent the first response time is attributed to")
    resolved_assignee = serializers.EmailField(source="resolved_assignee.email", allow_null=True, read_only=True,
                                               help_text="the agent assigned when the ticket was first resolved")
    tags = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="lower-case labels")
    merged_into = serializers.CharField(source="merged_into.external_id", allow_null=True, read_only=True,
                                        help_text="the external_id of the ticket this one was merged into")

    class Meta:
        model = Ticket
        fields = ("external_id", "account", "contact", "channel", "subject", "priority", "status", "created_at",
                  "assignee", "team", "first_response_at", "first_responder", "resolved_at", "last_resolved_at",
                  "resolved_assignee", "first_response_due_at", "next_response_due_at", "resolution_due_at",
                  "self_service_suggested", "tags", "merged_into", "updated_at")
        read_only_fields = fields


class InteractionSerializer(serializers.ModelSerializer):
    agent = serializers.EmailField(source="agent.email", allow_null=True, read_only=True)
    queue_team = serializers.CharField(source="queue_team.name", allow_null=True, read_only=True)
    handle_time_seconds = serializers.FloatField(
        read_only=True, allow_null=True,
        help_text="the handle time the metrics use: handle_seconds, else ended_at - answered_at (live)",
    )

    class Meta:
        model = Interaction
        fields = ("external_id", "channel", "direction", "author_type", "agent", "is_internal", "body",
                  "started_at", "queued_at", "answered_at", "ended_at", "handle_seconds", "handle_time_seconds",
                  "queue_team", "created_at")
        read_only_fields = fields


class StatusChangeSerializer(serializers.ModelSerializer):
    agent = serializers.EmailField(source="agent.email", allow_null=True, read_only=True)

    class Meta:
        model = TicketStatusChange
        fields = ("status", "changed_at", "agent")
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    interactions = serializers.SerializerMethodField()
    status_history = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = (*TicketSerializer.Meta.fields, "interactions", "status_history")
        read_only_fields = fields

    @extend_schema_field(InteractionSerializer(many=True))
    def get_interactions(self, ticket: Ticket) -> Any:
        rows = selectors.ticket_interactions(tenant=self.context["tenant"], ticket=ticket)
        return InteractionSerializer(rows, many=True).data

    @extend_schema_field(StatusChangeSerializer(many=True))
    def get_status_history(self, ticket: Ticket) -> Any:
        rows = selectors.ticket_status_history(tenant=self.context["tenant"], ticket=ticket)
        return StatusChangeSerializer(rows, many=True).data


class TicketFilter(django_filters.FilterSet):
    updated_since = OffsetDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                         help_text="rows updated at or after this time (ISO 8601 with offset)")
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    account = django_filters.CharFilter(field_name="account__external_id", help_text="the account's external_id")
    contact = django_filters.CharFilter(field_name="contact__external_id", help_text="the contact's external_id")
    assignee = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact",
                                         help_text="the assigned agent's email")

    class Meta:
        model = Ticket
        fields: list[str] = []


TICKET_ID = OpenApiParameter("ticket_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                             description="the ticket's external_id (no slashes)")


WRITE_ERRORS = api_schema.WRITE_ERRORS


Input = TypeVar("Input", TicketData, InteractionData, StatusData)


def _validated(serializer_class: type[serializers.Serializer], data: Any, into: type[Input]) -> Input:
    """The fields parsed by the serializer, as the typed input (whose domain rules answer a 400 too)."""
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"body": ["must be a JSON object"]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    try:
        return into(**serializer.validated_data)
    except InputError as exc:
        raise _bad(exc) from None


def _bad(exc: RecordError) -> exceptions.ValidationError:
    return exceptions.ValidationError(exc.detail())


@extend_schema_view(
    get=extend_schema(summary="List tickets", parameters=[UPDATED_SINCE], description=LIST_DESCRIPTION,
                      responses={200: TicketSerializer, **api_schema.LIST_ERRORS}),
    post=extend_schema(
        summary="Create or update a ticket by external_id",
        description=("A new ticket needs `channel` and a contact: `contact` (external_id) or `contact_email` / "
                     "`contact_phone` / `contact_social`, matched through the contact's identities; an unknown "
                     "identity matches a contact by email or phone, else creates one (in `account`, or the "
                     "account whose domain is the email's). `created_at` may be historical (default now). "
                     "`assignee` (agent email) records an assignment. 201 when created, 200 when updated."),
        request=TicketInput,
        responses={200: TicketSerializer, 201: TicketSerializer, **WRITE_ERRORS},
    ),
)
class TicketListView(TenantListView):
    model = Ticket
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    list_rows = staticmethod(selectors.ticket_list)

    parser_classes = [BoundedJSONParser]

    def post(self, request: Request) -> Response:
        data = _validated(TicketInput, request.data, TicketData)
        try:
            written = upsert_ticket(tenant=self.tenant, data=data)
        except RecordError as exc:
            raise _bad(exc) from None
        ticket = get_ticket_for_tenant(self.tenant, pk=written.obj.pk)
        return Response(TicketSerializer(ticket).data, status=201 if written.created else 200)


class TicketDetailView(TenantAPIView):
    @extend_schema(summary="One ticket with its interactions and status history", parameters=[TICKET_ID],
                   responses={200: TicketDetailSerializer, **api_schema.DETAIL_ERRORS})
    def get(self, request: Request, ticket_external_id: str) -> Response:
        ticket = get_ticket_for_tenant(self.tenant, external_id=ticket_external_id)
        return Response(TicketDetailSerializer(ticket, context={"tenant": self.tenant}).data)


class TicketInteractionView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Append an interaction to a ticket (idempotent by external_id)", parameters=[TICKET_ID],
        description=("Live channels (chat, phone) take `queued_at`, `answered_at` (null = abandoned) and "
                     "`ended_at`; a live inbound interaction starts when queued (`started_at` = `queued_at`). "
                     "`handle_seconds` is explicit handle time; otherwise a live one's is `ended_at - answered_at`. "
                     "201 when created; 200 when the external_id was known (updated with the values given, or "
                     "unchanged). The ticket's first response is recomputed; a new inbound message from the "
                     "contact reopens a resolved (not closed) ticket."),
        request=InteractionInput,
        responses={200: InteractionSerializer, 201: InteractionSerializer, **WRITE_ERRORS,
                   404: api_schema.error("no such ticket in this tenant")},
    )
    def post(self, request: Request, ticket_external_id: str) -> Response:
        ticket = get_ticket_for_tenant(self.tenant, external_id=ticket_external_id)
        data = _validated(InteractionInput, request.data, InteractionData)
        try:
            written = append_interaction(tenant=self.tenant, ticket=ticket, data=data)
        except RecordError as exc:
            raise _bad(exc) from None
        interaction = selectors.interaction_with_agent(tenant=self.tenant, pk=written.obj.pk)
        return Response(InteractionSerializer(interaction).data, status=201 if written.created else 200)


class TicketStatusView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Change a ticket's status (historical changed_at accepted)", parameters=[TICKET_ID],
        description=("Adds a status history row; `resolved_at` (first resolution), `last_resolved_at` and the "
                     "current status are recomputed from all rows, so changes may arrive in any order. "
                     "`assignee` (agent email; empty or null = unassign) records an assignment at `changed_at`. "
                     "The same status at the same time again is a no-op."),
        request=StatusInput,
        responses={200: TicketSerializer, **WRITE_ERRORS, 404: api_schema.error("no such ticket in this tenant")},
    )
    def post(self, request: Request, ticket_external_id: str) -> Response:
        ticket = get_ticket_for_tenant(self.tenant, external_id=ticket_external_id)
        data = _validated(StatusInput, request.data, StatusData)
        try:
            change_status(tenant=self.tenant, ticket=ticket, data=data)
        except RecordError as exc:
            raise _bad(exc) from None
        ticket = get_ticket_for_tenant(self.tenant, pk=ticket.pk)
        return Response(TicketSerializer(ticket).data)


class TicketMergeView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Merge this ticket into another", parameters=[TICKET_ID],
        description=("`into`: the external_id of the ticket that stays. This ticket gets `merged_into` and a "
                     "`closed` status row; both get an internal note. Refused (400 naming `into`): into itself, "
                     "into a ticket that was itself merged, an already merged ticket, or tickets whose contacts "
                     "belong to different accounts. A scheduled CSAT invitation of the merged ticket is cancelled."),
        request=TicketMergeInput,
        responses={200: TicketSerializer, **WRITE_ERRORS, 404: api_schema.error("no such ticket in this tenant")},
    )
    def post(self, request: Request, ticket_external_id: str) -> Response:
        ticket = get_ticket_for_tenant(self.tenant, external_id=ticket_external_id)
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": ["must be a JSON object"]})
        body = TicketMergeInput(data=request.data)
        body.is_valid(raise_exception=True)
        into = selectors.ticket_by_external_id(tenant=self.tenant, external_id=body.validated_data["into"])
        if into is None:
            raise exceptions.ValidationError({"into": ["no ticket with this external_id"]})
        try:
            merge_tickets(tenant=self.tenant, source=ticket, into=into, by=None)
        except RecordError as exc:
            raise _bad(exc) from None
        return Response(TicketSerializer(get_ticket_for_tenant(self.tenant, pk=ticket.pk)).data)


def _bulk_schema(item: type[serializers.Serializer], summary: str, description: str) -> Any:
    return extend_schema_view(post=extend_schema(
        summary=summary,
        description=(f"A JSON array, or NDJSON (one object per line), at most {MAX_BATCH} items and 1 MB. "
                     f"{description} Every valid item is written; each invalid one is listed under `rejected` "
                     "by its 0-based index."),
        request={"application/json": item(many=True), "application/x-ndjson": item},
        responses={200: api_schema.BulkResultSerializer, **api_schema.BULK_ERRORS},
    ))


@_bulk_schema(AgentItem, "Upsert support agents by email",
              "`team` names a team, created if new. An item equal to the stored agent is a duplicate.")
class AgentBulkView(BulkUpsertView):
    upsert = staticmethod(upsert_agents)


@_bulk_schema(AgentSessionItem, "Record presence sessions and scheduled shifts",
              "`kind` is `online` (presence, default) or `scheduled` (a shift). Idempotent by (agent, kind, "
              "started_at): the same session again is a duplicate; with a new `ended_at` it is closed or "
              "corrected. Online sessions of one agent may not overlap; a new one closes an open older one.")
class AgentSessionBulkView(BulkUpsertView):
    upsert = staticmethod(record_agent_sessions)
