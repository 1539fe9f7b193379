"""``POST /api/v1/callbacks``: a customer asks to be called back (telephony IVR, web form, product).

Idempotent by ``external_id``: the same id again answers 200 with the stored callback (201 when new).
The contact is named by its external id, or found by ``phone`` through its identities (a new contact
of ``account`` is created for an unknown number, as for tickets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import account_by_external_id, contact_by_external_id
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.serializers import OffsetDateTimeField, StrictSerializer
from support.desk.services import DeskError, request_callback
from support.models import Callback
from support.records.selectors import ticket_by_external_id


class CallbackInput(StrictSerializer):
    external_id = serializers.CharField(max_length=128, help_text="the integration's id of this request")
    contact = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                    help_text="the contact's external_id (or give phone)")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                  help_text="the number to call; matched to a contact through its identities")
    account = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                    help_text="account external_id for a contact created from an unknown phone")
    ticket = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                   help_text="the ticket's external_id, if the request belongs to one")
    due_at = OffsetDateTimeField(required=False, allow_null=True, help_text="when to call; default now")
    requested_at = OffsetDateTimeField(required=False, allow_null=True, help_text="default now")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    requires_one_of = ("contact", "phone")

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("contact") and not attrs.get("phone"):
            raise serializers.ValidationError({"contact": ["give contact (external_id) or phone"]})
        return attrs


class CallbackOutput(serializers.ModelSerializer):
    contact = serializers.CharField(source="contact.external_id", read_only=True)
    ticket = serializers.CharField(source="ticket.external_id", allow_null=True, default=None, read_only=True)
    # A plain string in the schema: an enum named "status" would collide with the tickets' status enum.
    status = serializers.CharField(read_only=True, help_text="pending, done or cancelled")

    class Meta:
        model = Callback
        fields = ["external_id", "contact", "phone", "ticket", "status", "requested_at", "due_at", "note",
                  "completed_at"]
        read_only_fields = fields  # an answer only: no input rules (minLength) in the schema


def _by_external_id(find: Callable[..., Any], tenant: Any, value: str, field: str) -> Any:
    if not value:
        return None
    found = find(tenant=tenant, external_id=value)
    if found is None:
        raise DeskError(f"no {field} with this external_id", field=field)
    return found


class CallbackCreateView(TenantAPIView):
    @extend_schema(summary="Request a callback", request=CallbackInput,
                   responses={200: CallbackOutput, 201: CallbackOutput, **api_schema.WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        data = CallbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            written = request_callback(
                tenant=self.tenant,
                external_id=values["external_id"],
                contact=_by_external_id(contact_by_external_id, self.tenant, values.get("contact", ""), "contact"),
                phone=values.get("phone", ""),
                account=_by_external_id(account_by_external_id, self.tenant, values.get("account", ""), "account"),
                ticket=_by_external_id(ticket_by_external_id, self.tenant, values.get("ticket", ""), "ticket"),
                due_at=values.get("due_at"),
                requested_at=values.get("requested_at"),
                note=values.get("note", ""),
            )
        except DeskError as exc:
            return Response({"errors": [{"field": exc.field, "message": str(exc)}]}, status=400)
        return Response(CallbackOutput(written.callback).data, status=201 if written.created else 200)

