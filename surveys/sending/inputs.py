"""The API's input shapes of sending (API.md): strict serializers (an unknown field is an error), every
string and list bounded, times inside cs_platform.bounds' window."""

from __future__ import annotations

from rest_framework import serializers

from cs_platform.api.serializers import MAX_EXTERNAL_ID, OffsetDateTimeField, StrictSerializer
from cs_platform.bulk import MAX_BATCH

MAX_REASON = 500


class BounceItem(StrictSerializer):
    message_id = serializers.CharField(max_length=200, help_text="the Message-ID header of the bounced email")
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True, default="",
                                   help_text="the bounce's diagnostic, e.g. 550 5.1.1 user unknown")
    bounced_at = OffsetDateTimeField(required=False, help_text="default: when the request arrives")

    def validate_message_id(self, value: str) -> str:
        # Mail tools quote it with or without the angle brackets; it is stored with them.
        value = value.strip()
        return value if value.startswith("<") else f"<{value}>"


class InvitationInput(StrictSerializer):
    survey = serializers.CharField(max_length=20, help_text="a survey id, or csat/nps/ces: the tenant's default "
                                                            "survey of that kind (created on first use)")
    contacts = serializers.ListField(
        child=serializers.CharField(max_length=MAX_EXTERNAL_ID), required=False, min_length=1,
        max_length=MAX_BATCH, help_text=f"contacts' external ids, at most {MAX_BATCH}")
    ticket = serializers.CharField(max_length=MAX_EXTERNAL_ID, required=False,
                                   help_text="a ticket's external_id: its contact is invited about it")
    send_at = OffsetDateTimeField(required=False, help_text="when to send (default now); the budget is checked "
                                                            "now and again then")

    def validate(self, attrs: dict) -> dict:
        if ("contacts" in attrs) == ("ticket" in attrs):
            raise serializers.ValidationError({"contacts": ["give either contacts or ticket (one of them)"]})
        return attrs
