"""Integration API of the health app: usage-event ingestion (API.md ``POST /events/bulk``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import api_schema
from accounts.api import bulk_items
from accounts.api_base import TenantAPIView
from accounts.api_parsers import BoundedJSONParser, NDJSONParser, report_invalid_lines
from accounts.inputs import MAX_BATCH
from health.services import ingest_events


class EventItemSerializer(serializers.Serializer):
    """Documents one event for the OpenAPI schema only: items are validated in plain Python (health/ingest.py),
    DRF serializers being ~30x slower than what ingestion needs."""

    event_id = serializers.CharField(max_length=200, help_text="your unique id of the event: the idempotency key")
    account = serializers.CharField(max_length=128, help_text="the account's external_id (must exist)")
    contact = serializers.CharField(max_length=128, required=False, allow_null=True,
                                    help_text="the contact's external_id; an unknown one is created in the account")
    name = serializers.CharField(max_length=200, help_text="event name, e.g. report.exported")
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; history is welcome (from 2000 on)")
    properties = serializers.DictField(required=False, help_text="any JSON object; default {}")


class EventBulkResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="events stored by this request")
    duplicates = serializers.IntegerField(help_text="events whose event_id was stored already or repeats in the batch")
    rejected = api_schema.RejectedItemSerializer(many=True)
    contacts_created = serializers.IntegerField(help_text="contacts created from unknown contact ids")


class EventBulkView(TenantAPIView):
    parser_classes = [BoundedJSONParser, NDJSONParser]
    write_scope = "ingest"

    @extend_schema(
        summary="Ingest usage events",
        description=(
            f"A JSON array of events, or NDJSON (one per line), at most {MAX_BATCH} events and 1 MB. Idempotent by "
            "`event_id`: an event already stored (or repeated in the batch) counts as a duplicate and is not "
            "stored again. Every valid event is stored; each invalid one is listed under `rejected` by its 0-based "
            "index. Unknown fields are errors. Needs the `ingest` scope."
        ),
        request={"application/json": EventItemSerializer(many=True), "application/x-ndjson": EventItemSerializer},
        responses={200: EventBulkResultSerializer,
                   **api_schema.BULK_ERRORS, 403: OpenApiResponse(api_schema.ErrorResponseSerializer,
                                                                  description="the key lacks the `ingest` scope")},
    )
    def post(self, request: Request) -> Response:
        items = bulk_items(request.data)
        result = ingest_events(tenant=self.tenant, items=items)
        return Response(report_invalid_lines(items, result).as_dict())
