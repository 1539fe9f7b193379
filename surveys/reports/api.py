"""``GET /api/v1/reports/surveys`` (API.md "Other shapes"): parses the query with the support report's own
rules (support.reports.api.report_params: tenant-local dates, ``to`` exclusive, the current month without
dates, a 400 naming the parameter) and answers surveys.reports.selectors.survey_report, the page's selector."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cs_platform.api.base import TenantAPIView
from support.reports.api import MAX_RANGE_DAYS, REPORT_ERRORS, report_parameters, report_params
from surveys.models import SuppressionReason
from surveys.reports.selectors import GROUP_BYS, survey_report


def _interval() -> serializers.ListField:
    return serializers.ListField(child=serializers.FloatField(), allow_null=True, read_only=True,
                                 help_text="90% interval [low, high] when 1-9 responses, else null")


def _number() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, read_only=True)


REPORT = inline_serializer("SurveyReport", {
    "from": serializers.DateField(), "to": serializers.DateField(), "group_by": serializers.CharField(read_only=True),
    "timezone": serializers.CharField(read_only=True),
    "rows": inline_serializer("SurveyReportRow", {
        "group": serializers.CharField(allow_null=True, read_only=True,
                                       help_text="account external_id, agent email, team name, channel, survey id, "
                                                 "YYYY-MM, or null"),
        "name": serializers.CharField(allow_null=True, read_only=True, help_text="the group as a person reads it"),
        "nps": inline_serializer("SurveyReportNps", {
            "score": _number(), "n": serializers.IntegerField(), "promoters": serializers.IntegerField(),
            "passives": serializers.IntegerField(), "detractors": serializers.IntegerField(),
            "interval": _interval()}),
        "csat": inline_serializer("SurveyReportCsat", {
            "pct": _number(), "avg": _number(), "n": serializers.IntegerField(),
            "satisfied": serializers.IntegerField(), "interval": _interval()}),
        "ces": inline_serializer("SurveyReportCes", {"avg": _number(), "n": serializers.IntegerField()}),
        "invitations_sent": serializers.IntegerField(), "responses": serializers.IntegerField(),
        "response_rate": _number(), "suppressed": serializers.IntegerField(),
        "suppressed_by_reason": inline_serializer(
            "SurveyReportSuppressed", {r: serializers.IntegerField() for r in SuppressionReason.values}),
    }, many=True),
})


class SurveyReportView(TenantAPIView):
    @extend_schema(
        summary="Survey figures (METRICS.md \"Surveys\") by group",
        description=("`from` (inclusive) and `to` (exclusive) are dates in the tenant's time zone, at most "
                     f"{MAX_RANGE_DAYS} days apart; with neither, the current month; with only one, 400. "
                     f"`group_by`: {', '.join(GROUP_BYS)}. NPS, CSAT and CES over responses submitted in the "
                     "period; `invitations_sent` by `sent_at`, `responses` = those invitations answered "
                     "(whenever), `response_rate` = responses / invitations_sent (a fraction 0-1); `suppressed` "
                     "by `suppressed_at` (fatigue budget, opt-out, reopened ticket), every reason in "
                     "`suppressed_by_reason`. Agent and team follow the ticket's `resolved_assignee`; no "
                     "ticket = the null group. A figure without data is null."),
        parameters=report_parameters(GROUP_BYS), responses={200: REPORT, **REPORT_ERRORS},
    )
    def get(self, request: Request) -> Response:
        start, end, group_by = report_params(request.query_params, tenant=self.tenant, group_bys=GROUP_BYS)
        return Response(survey_report(tenant=self.tenant, start=start, end=end, group_by=group_by))
