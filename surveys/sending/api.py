"""Integration API of sending (API.md): invitations asked for now, and bounces reported by the mail
service. Thin: parse with surveys.sending.inputs, call the services, answer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.parsers import BoundedJSONParser, NDJSONParser, report_invalid_lines
from cs_platform.api.views import bulk_items
from cs_platform.bulk import MAX_BATCH
from surveys.sending.inputs import BounceItem, InvitationInput
from surveys.sending.models import SuppressionReason
from surveys.sending.outbox import record_bounces
from surveys.sending.services import invite
from surveys.services import SurveyError


class InvitationAnswerSerializer(serializers.Serializer):
    contact = serializers.CharField(help_text="the contact's external_id as given")
    # A plain string, not a choice: an enum named "status" would collide with the models' in the schema.
    status = serializers.CharField(help_text="scheduled, suppressed, or unknown: no contact with this external_id "
                                             "(nothing written)")
    reason = serializers.CharField(help_text="why suppressed (or unknown); blank when scheduled")
    invitation = serializers.IntegerField(allow_null=True, help_text="the invitation's id (null when unknown)")


class InvitationResultSerializer(serializers.Serializer):
    survey = serializers.IntegerField()
    results = InvitationAnswerSerializer(many=True)


REASONS = "; ".join(f"`{value}` {label.lower()}" for value, label in SuppressionReason.choices)


class SurveyInvitationView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Invite contacts to a survey now, through the fatigue budget",
        description=(
            f"`survey` is a survey id or `csat`/`nps`/`ces`; `contacts` (external ids, at most {MAX_BATCH}) or "
            "`ticket` (an external id: its contact is invited about it); optional `send_at`. The fatigue budget, "
            "the opt-out and the contact's email are checked now (and again when the invitation is due); "
            "each contact is answered `scheduled` or `suppressed` with the reason, and both are recorded as "
            "invitations; contacts scheduled earlier in the same request count against the budget. A contact "
            f"that does not exist is answered `unknown`. Reasons: {REASONS}."),
        request=InvitationInput,
        responses={200: InvitationResultSerializer, **api_schema.WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": ["must be a JSON object"]})
        body = InvitationInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            survey, answers = invite(tenant=self.tenant, survey_ref=data["survey"], contacts=data.get("contacts", ()),
                                     ticket=data.get("ticket"), send_at=data.get("send_at"))
        except SurveyError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        return Response({"survey": survey.pk, "results": [vars(a) for a in answers]})


class EmailBounceView(TenantAPIView):
    parser_classes = [BoundedJSONParser, NDJSONParser]

    @extend_schema(
        summary="Report bounced survey emails",
        description=(f"A JSON array (or NDJSON) of at most {MAX_BATCH} bounces: `message_id` (the Message-ID "
                     "header, with or without angle brackets), `reason`, optional `bounced_at`. The email becomes "
                     "`bounced`; its invitation stays `sent` (the response rate is over invitations sent; "
                     "bounces are shown beside it). A repeat with the same values is a duplicate; an unknown "
                     "Message-ID is rejected by its index."),
        request={"application/json": BounceItem(many=True), "application/x-ndjson": BounceItem},
        responses={200: api_schema.BulkResultSerializer, **api_schema.BULK_ERRORS},
    )
    def post(self, request: Request) -> Response:
        items = bulk_items(request.data)
        return Response(report_invalid_lines(items, record_bounces(tenant=self.tenant, items=items)).as_dict())
