"""``GET /api/v1/reports/support`` (API.md "Report shape") and ``/api/v1/support-costs``.

The report view only parses and validates the query; support.reports.selectors.support_report computes it (the
same selector as the pages). Costs: ``POST`` upserts by (month, team) — support.reports.services says why.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform import bounds
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.parsers import BoundedJSONParser
from cs_platform.api.serializers import StrictSerializer
from support.records.services.tickets import RecordError
from support.reports.periods import next_month
from support.reports.selectors import GROUP_BYS, METRICS, support_report
from support.reports.services import record_support_cost, support_costs

MAX_RANGE_DAYS = 3 * 366  # a report over more than ~3 years is refused (400 naming `to`)


def _date(params: Any, name: str) -> dt.date:
    raw = params.get(name)
    if not raw:
        raise exceptions.ValidationError({name: ["required, a date YYYY-MM-DD in the tenant's time zone"]})
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            message = bounds.date_error(day)
            if message:
                raise exceptions.ValidationError({name: [message]})
            return day
    raise exceptions.ValidationError({name: ["not a valid date; use YYYY-MM-DD"]})


def report_params(params: Any, *, tenant: Any, group_bys: tuple[str, ...]) -> tuple[dt.date, dt.date, str]:
    """A report's ``from``, ``to`` (exclusive) and ``group_by`` from the query (shared with the survey report's
    API): with neither date the current tenant-local month; a bad value is a 400 naming the parameter."""
    if not params.get("from") and not params.get("to"):
        # Neither given: the current tenant-local month (a plain GET of the route is a useful answer).
        date_from = timezone.now().astimezone(tenant.zone).date().replace(day=1)
        date_to = next_month(date_from)
    else:
        date_from, date_to = _date(params, "from"), _date(params, "to")
    group_by = params.get("group_by") or "none"
    if group_by not in group_bys:
        raise exceptions.ValidationError({"group_by": [f"one of {', '.join(group_bys)}"]})
    if date_from >= date_to:
        raise exceptions.ValidationError({"to": ["must be after `from`"]})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise exceptions.ValidationError({"to": [f"at most {MAX_RANGE_DAYS} days after `from`"]})
    return date_from, date_to, group_by


def report_parameters(group_bys: tuple[str, ...]) -> list[OpenApiParameter]:
    """The query parameters of a report route, as report_params reads them (the survey report's too)."""
    return [OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(group_bys))]


REPORT_ERRORS = {400: api_schema.error("bad parameter; `field` names it"),
                 401: api_schema.error("no API key, or an invalid or revoked one"),
                 403: api_schema.error("the key lacks the `read` scope")}


class DurationFigure(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField()
    median = serializers.FloatField()
    p90 = serializers.FloatField()


def _duration_figure() -> serializers.Serializer:
    # One instance per field: an instance shared by several names keeps only the last name.
    return DurationFigure(allow_null=True)


_DURATIONS = {"first_response_time", "asa", "handle_time", "resolution_time", "full_resolution_time"}


_ROW_FIELDS = {name: (_duration_figure() if name in _DURATIONS else serializers.FloatField(allow_null=True))
               for name in (*METRICS, "qa_score")}


# An answer only: read-only strings, so the input rule ENFORCE_NON_BLANK_FIELDS gives them no minLength.
REPORT = inline_serializer("SupportReport", {
    "from": serializers.DateField(), "to": serializers.DateField(), "group_by": serializers.CharField(read_only=True),
    "timezone": serializers.CharField(read_only=True),
    "rows": inline_serializer("SupportReportRow", {
        "group": serializers.CharField(allow_null=True, read_only=True),
        # Not read-only: a read-only field is required in the schema, and this one is in agent rows only.
        "agent_name": serializers.CharField(
            allow_null=True, required=False,
            help_text="group_by=agent only: the agent's name as the inbox shows it (else the email)"),
        **_ROW_FIELDS}, many=True),
})


class SupportReportView(TenantAPIView):
    @extend_schema(
        summary="Support figures (METRICS.md) by group",
        description=("`from` (inclusive) and `to` (exclusive) are dates in the tenant's time zone, at most "
                     f"{MAX_RANGE_DAYS} days apart; with neither, the current month; with only one, 400. "
                     f"`group_by`: {', '.join(GROUP_BYS)}. A figure that does not "
                     "apply to the grouping, or has no data, is null; counts of nothing are 0. Durations in "
                     "seconds (mean, and percentile_cont median and p90); rates are fractions 0-1."),
        parameters=report_parameters(GROUP_BYS), responses={200: REPORT, **REPORT_ERRORS},
    )
    def get(self, request: Request) -> Response:
        date_from, date_to, group_by = report_params(request.query_params, tenant=self.tenant, group_bys=GROUP_BYS)
        return Response(support_report(tenant=self.tenant, date_from=date_from, date_to=date_to, group_by=group_by))


class SupportCostInput(StrictSerializer):
    month = serializers.RegexField(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z", help_text="YYYY-MM (a tenant-local month)",
                                   error_messages={"invalid": "use YYYY-MM"})
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", error_messages={"invalid": "a 3-letter ISO 4217 code"})
    team = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                 help_text="a team name (must exist); omitted = the whole support function")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate_month(self, value: str) -> str:
        message = bounds.month_error(int(value[:4]), int(value[5:7]))
        if message:
            raise serializers.ValidationError(message)
        return value


class SupportCostSerializer(serializers.Serializer):
    month = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.name", allow_null=True, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True)
    currency = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)

    def get_month(self, entry: Any) -> str:
        return f"{entry.month:%Y-%m}"


class SupportCostView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(summary="List support cost entries (newest month first)",
                   responses={200: SupportCostSerializer(many=True), **api_schema.LIST_ERRORS})
    def get(self, request: Request) -> Response:
        return Response(SupportCostSerializer(support_costs(tenant=self.tenant), many=True).data)

    @extend_schema(
        summary="Record a month's support cost (upsert by month and team)",
        description=("One entry per (month, team): posting the same month and team again replaces `amount`, "
                     "`currency` and `note` (200); a new one answers 201. `team` must name an existing team; "
                     "without it the cost is the whole support function's. `amount` is a decimal string."),
        request=SupportCostInput,
        responses={200: SupportCostSerializer, 201: SupportCostSerializer,
                   400: api_schema.error("invalid input; `field` names it"),
                   401: api_schema.error("no API key, or an invalid or revoked one"),
                   403: api_schema.error("the key lacks the `write` scope")},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": ["must be a JSON object"]})
        serializer = SupportCostInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        month = dt.date.fromisoformat(data["month"] + "-01")
        try:
            written = record_support_cost(tenant=self.tenant, month=month, amount=data["amount"],
                                          currency=data["currency"], team_name=data.get("team") or None,
                                          note=data.get("note", ""))
        except RecordError as exc:
            raise exceptions.ValidationError({exc.field or "non_field_errors": [str(exc)]}) from None
        return Response(SupportCostSerializer(written.obj).data, status=201 if written.created else 200)
