"""Parsing of support API items (agents, sessions, tickets, interactions, status changes).

Every timestamp must carry a UTC offset (API.md): a naive time would silently mean the server's zone.
Unknown fields are errors, as for accounts and contacts (cs_platform.api.serializers.StrictSerializer).

The ticket, interaction and status serializers only parse fields (types, lengths, formats, choices); their
output maps one to one onto the typed inputs of support.records.data, which hold the domain rules
(``TicketData(**serializer.validated_data)``).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from cs_platform.api.serializers import ExternalIdField, OffsetDateTimeField, StrictSerializer
from cs_platform.bounds import INT4_MAX
from support.models import AgentSession, AuthorType, Channel, Direction, Priority, TicketStatus
from support.records.models import MAX_TAG, MAX_TAGS
from support.records.services.identities import (
    SOCIAL_HANDLE_MESSAGE,
    SOCIAL_HANDLE_PATTERN,
    IdentityError,
    normalize_email,
    normalize_phone,
    normalize_social,
)


def _normalized(normalize, value: str) -> str:
    try:
        return normalize(value)
    except IdentityError as exc:
        raise serializers.ValidationError(str(exc)) from None


class AgentItem(StrictSerializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    team = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True,
                                 help_text="a team name, created if new; empty or null = no team")
    is_active = serializers.BooleanField(required=False)

    def validate_email(self, value: str) -> str:
        return value.strip().lower()

    def validate_team(self, value: str | None) -> str:
        return (value or "").strip()


class AgentSessionItem(StrictSerializer):
    agent = serializers.EmailField(help_text="the agent's email")
    kind = serializers.ChoiceField(choices=AgentSession.Kind.choices, required=False, default="online")
    started_at = OffsetDateTimeField()
    ended_at = OffsetDateTimeField(required=False, allow_null=True, help_text="null = still open")

    def validate(self, attrs: dict) -> dict:
        attrs["agent"] = attrs["agent"].strip().lower()
        ended = attrs.get("ended_at")
        if ended is not None and ended < attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": ["must not be before started_at"]})
        if ended is None and attrs["kind"] == AgentSession.Kind.SCHEDULED:
            raise serializers.ValidationError({"ended_at": ["a scheduled shift needs an end"]})
        return attrs


class TicketInput(StrictSerializer):
    external_id = ExternalIdField()
    account = serializers.CharField(max_length=128, required=False, allow_null=True, allow_blank=True,
                                    help_text="the account's external_id (defaults to the contact's account)")
    contact = serializers.CharField(max_length=128, required=False, help_text="the contact's external_id")
    contact_email = serializers.EmailField(required=False, help_text="match (or create) the contact by email")
    contact_phone = serializers.CharField(max_length=40, required=False,
                                          help_text="match (or create) the contact by phone")
    # The validator only puts normalize_social's rule in the schema (a pattern): the same refusals, named alike.
    contact_social = serializers.CharField(max_length=200, required=False,
                                           validators=[RegexValidator(SOCIAL_HANDLE_PATTERN, SOCIAL_HANDLE_MESSAGE)],
                                           help_text="match (or create) the contact by `network:handle`")
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                         help_text="name of a contact created from an unknown identity")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    subject = serializers.CharField(max_length=500, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    created_at = OffsetDateTimeField(required=False, help_text="when the customer opened it; default now")
    assignee = serializers.EmailField(required=False, allow_null=True, allow_blank=True,
                                      help_text="the agent's email; empty or null = unassigned")
    team = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True,
                                 help_text="a team name (created if new)")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG, allow_blank=True), required=False, max_length=MAX_TAGS,
        help_text=f"replaces the ticket's tags: at most {MAX_TAGS}, each at most {MAX_TAG} characters, stored "
                  "trimmed and lower-case; [] = none")

    def validate_contact_email(self, value: str) -> str:
        return _normalized(normalize_email, value)

    def validate_contact_phone(self, value: str) -> str:
        return _normalized(normalize_phone, value)

    def validate_contact_social(self, value: str) -> str:
        return _normalized(normalize_social, value)

    def validate_assignee(self, value: str | None) -> str:
        return (value or "").strip().lower()

    def validate_team(self, value: str | None) -> str:
        return (value or "").strip()


class InteractionInput(StrictSerializer):
    external_id = serializers.CharField(max_length=128)
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    author_type = serializers.ChoiceField(choices=AuthorType.choices)
    agent = serializers.EmailField(required=False, allow_null=True, allow_blank=True,
                                   help_text="the agent's email (author, or who answered a live inbound one)")
    is_internal = serializers.BooleanField(required=False, default=False)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200_000)
    started_at = OffsetDateTimeField(required=False, help_text="required unless queued_at is given")
    queued_at = OffsetDateTimeField(required=False, allow_null=True)
    answered_at = OffsetDateTimeField(required=False, allow_null=True, help_text="null = abandoned (live)")
    ended_at = OffsetDateTimeField(required=False, allow_null=True)
    handle_seconds = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=INT4_MAX,
                                            help_text="0 to 2,147,483,647 (int4 seconds, ~68 years)")
    queue_team = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True,
                                       help_text="team of the queue a live interaction waited in")

    def validate_agent(self, value: str | None) -> str:
        return (value or "").strip().lower()

    def validate_queue_team(self, value: str | None) -> str:
        return (value or "").strip()


class StatusInput(StrictSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    changed_at = OffsetDateTimeField(required=False, help_text="default now; history from 2000 on")
    assignee = serializers.EmailField(required=False, allow_null=True, allow_blank=True,
                                      help_text="assign (agent email) at changed_at; empty or null = unassign")
    agent = serializers.EmailField(required=False, allow_blank=True, help_text="the agent who made the change")

    def validate_assignee(self, value: str | None) -> str:
        return (value or "").strip().lower()

    def validate_agent(self, value: str) -> str:
        return value.strip().lower()


class TicketMergeInput(StrictSerializer):
    into = serializers.CharField(max_length=128, help_text="the external_id of the ticket to merge this one into")
