"""Usage API: ``POST /api/v1/events/bulk`` (ingestion) and ``GET /api/v1/accounts/{external_id}/usage``.

``GET /api/v1/accounts/{external_id}/usage`` (API.md): an account's adoption figures.

The body is :func:`health.usage.selectors.account_usage.usage_payload` over the same selectors as the account's usage
page, so the page and the API cannot disagree. Ratios are fractions 0-1, unrounded; an empty set
gives ``null`` (METRICS.md).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_account_for_tenant
from accounts.selectors import tenant_today
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.parsers import BoundedJSONParser, NDJSONParser, report_invalid_lines
from cs_platform.api.serializers import StrictSerializer
from cs_platform.api.views import bulk_items
from cs_platform.bounds import whole_number
from cs_platform.bulk import MAX_BATCH
from health.usage.selectors import account_usage
from health.usage.selectors import adoption as selectors
from health.usage.services.ingest import ingest_events


class ActiveUsersSerializer(serializers.Serializer):
    d1 = serializers.IntegerField(help_text="active users today (local day)")
    d7 = serializers.IntegerField(help_text="active users in the 7 local days ending today")
    d30 = serializers.IntegerField(help_text="active users in the 30 local days ending today")

    def get_fields(self):
        # The wire names ("1d", "7d", "30d") are not valid Python identifiers.
        fields = super().get_fields()
        return {f"{name[1:]}d": field for name, field in fields.items()}


class SeatFunnelSerializer(serializers.Serializer):
    seats = serializers.IntegerField(allow_null=True, help_text="seats purchased; null when not recorded")
    contacts_known = serializers.IntegerField()
    activated = serializers.IntegerField(help_text="contacts with any usage event ever (up to today)")
    trained = serializers.IntegerField(help_text="contacts who completed a learning path (0 until recorded)")
    active = serializers.IntegerField(help_text="contacts with a usage event in the window")


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="the Monday starting the week (tenant time zone)")
    active_users = serializers.IntegerField()
    events = serializers.IntegerField()


class MilestonesSerializer(serializers.Serializer):
    reached = serializers.IntegerField(help_text="value milestones reached since contract start")
    total = serializers.IntegerField(help_text="the tenant's value milestones")


class AccountUsageSerializer(serializers.Serializer):
    seats = serializers.IntegerField(allow_null=True)
    active_users = ActiveUsersSerializer()
    license_utilization = serializers.FloatField(
        allow_null=True, help_text="active users in the window / seats; null when no seats are recorded")
    breadth = serializers.FloatField(
        allow_null=True, help_text="distinct catalog features used in the window / features in the catalog; "
                                   "null when the catalog is empty")
    seat_funnel = SeatFunnelSerializer()
    weekly = WeekSerializer(many=True, help_text="the last 12 Monday-based local weeks, oldest first, the "
                                                 "current (partial) week last")
    as_of = serializers.DateField(help_text="today in the tenant's time zone: the last day of every window")
    window_days = serializers.IntegerField()
    active_users_in_window = serializers.IntegerField()
    events = serializers.IntegerField(help_text="usage events of the account in the window")
    depth = serializers.FloatField(allow_null=True, help_text="events in the window / active users in the "
                                                              "window; null when nobody was active")
    milestones = MilestonesSerializer()
    time_to_value_days = serializers.IntegerField(
        allow_null=True, help_text="days from contract start until all value milestones were reached; null when "
                                   "not all are reached, there are none, or no contract start is recorded")


WINDOW = OpenApiParameter(
    "window", {"type": "integer", "minimum": 1, "maximum": selectors.MAX_WINDOW_DAYS},
    description=f"window in local days ending today, today included: 1-{selectors.MAX_WINDOW_DAYS} "
                f"(default {selectors.DEFAULT_WINDOW_DAYS}); applies to license_utilization, breadth, depth, "
                "events and the funnel's `active`. `active_users` always gives 1, 7 and 30 days.",
)


def window_param(request: Request) -> int:
    raw = request.query_params.get("window")
    if raw is None or raw == "":
        return selectors.DEFAULT_WINDOW_DAYS
    days = whole_number(raw, low=1, high=selectors.MAX_WINDOW_DAYS)
    if days is None:
        raise exceptions.ValidationError({"window": [f"a whole number of days from 1 to {selectors.MAX_WINDOW_DAYS}"]})
    return days


class AccountUsageView(TenantAPIView):
    @extend_schema(
        summary="An account's adoption figures",
        description="Active users (1/7/30 local days), license utilization, breadth, seat funnel and the weekly "
                    "trend, per METRICS.md \"Adoption and health inputs\". The same figures as the account's "
                    "usage page.",
        parameters=[OpenApiParameter("account_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description="the account's external_id (no slashes)"), WINDOW],
        responses={200: AccountUsageSerializer, 400: api_schema.error("`window` is invalid"),
                   **api_schema.DETAIL_ERRORS},
    )
    def get(self, request: Request, account_external_id: str) -> Response:
        window_days = window_param(request)
        account = get_account_for_tenant(self.tenant, external_id=account_external_id)
        account.tenant = self.tenant  # the same row, already loaded: spares the selectors a query for it
        today = tenant_today(self.tenant)
        adoption = selectors.account_adoption(account=account, today=today, window_days=window_days)
        weekly = account_usage.weekly_trend(account=account, today=today)
        return Response(account_usage.usage_payload(adoption=adoption, weekly=weekly))


# ---------------------------------------------------------------------- ingestion: POST events/bulk


class EventItemSerializer(StrictSerializer):
    """Documents one event for the OpenAPI schema only: items are validated in plain Python
    (health/usage/services/ingest.py), DRF serializers being ~30x slower than what ingestion needs."""

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
