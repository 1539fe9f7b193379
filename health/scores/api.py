"""The health scores API (API.md): start a recompute job, an account's latest score with its trend, and its
daily history. Thin: parse with health.scores.params, fetch through the access helpers and selectors,
call health.scores.jobs, answer.

- ``GET /accounts/{external_id}/health`` answers 200 with null score fields while nothing has been computed
  for the account (it exists: a 404 would say it does not), and ``trend`` is the rows of the 30 local days
  ending today, so a gap in the nightly runs shows as missing days rather than being papered over.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_account_for_tenant
from accounts.api import JobSerializer
from accounts.selectors import tenant_today
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.parsers import BoundedJSONParser
from health.scores import selectors
from health.scores.jobs import start_recompute
from health.scores.models import HealthScore
from health.scores.params import (
    HISTORY_DEFAULT_DAYS,
    MAX_RANGE_DAYS,
    RecomputeInput,
    history_range,
    recompute_request,
)

TREND_DAYS = 30


class ComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    input = serializers.FloatField(allow_null=True, help_text="the component's input (METRICS.md); null: no data")
    points = serializers.FloatField(allow_null=True, help_text="0-100 from the mapping; null: left out")
    weight = serializers.FloatField(help_text="the configured weight")
    effective_weight = serializers.FloatField(help_text="share of the score after redistribution (0-1)")


class ScoreRowSerializer(serializers.Serializer):
    day = serializers.DateField(allow_null=True, help_text="the local day the score is as of")
    score = serializers.FloatField(allow_null=True, help_text="0-100; null when no component had data")
    band = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True, help_text="0-1: the configured weight that had data")
    scorecard = serializers.CharField(allow_null=True, help_text="the scorecard's name")
    version = serializers.IntegerField(allow_null=True, help_text="the scorecard version it was computed with")
    components = ComponentSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    score = serializers.FloatField(allow_null=True)
    band = serializers.CharField()


class AccountHealthSerializer(ScoreRowSerializer):
    account = serializers.CharField(help_text="the account's external_id")
    trend = TrendPointSerializer(many=True, help_text=f"the rows of the {TREND_DAYS} local days ending today")


class HistorySerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # ``from`` is a Python keyword: the fields are declared here, not as class attributes.
        return {"account": serializers.CharField(), "from": serializers.DateField(),
                "to": serializers.DateField(), "days": ScoreRowSerializer(many=True)}


class RecomputeStartedSerializer(serializers.Serializer):
    job = JobSerializer()
    url = serializers.CharField(help_text="the job's progress: GET it until `state` is done or failed")


NO_SCORE = {"day": None, "score": None, "band": None, "confidence": None, "scorecard": None, "version": None,
            "components": []}


def score_row(row: HealthScore | None) -> dict:
    if row is None:
        return dict(NO_SCORE)
    return {"day": row.day, "score": row.score, "band": row.band, "confidence": row.confidence,
            "scorecard": row.version.scorecard.name, "version": row.version.number, "components": row.components}


ACCOUNT_ID = OpenApiParameter("account_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="the account's external_id (no slashes)")
NO_ACCOUNT = {404: api_schema.error("no such account")}


class RecomputeView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Start a recompute of health scores (a background job)",
        description=(f"`accounts`: external ids (at most 1,000; all accounts when omitted; an unknown one is a 400 "
                     f"naming `accounts[index]`). `from`/`to`: local days YYYY-MM-DD, `from` <= `to` <= today, at "
                     f"most {MAX_RANGE_DAYS} days (default: today). Rows are upserted per account and day, so "
                     "a repeat rewrites the same rows. Answers 202 with the job and its URL."),
        request=RecomputeInput,
        responses={202: RecomputeStartedSerializer, **api_schema.WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        days, account_ids = recompute_request(request.data, tenant=self.tenant, today=tenant_today(self.tenant))
        job = start_recompute(tenant=self.tenant, days=days, account_ids=account_ids, by=None)
        url = request.build_absolute_uri(reverse("api-job-detail", kwargs={"job_pk": job.pk}))
        return Response({"job": JobSerializer(job).data, "url": url}, status=status.HTTP_202_ACCEPTED)


class AccountHealthView(TenantAPIView):
    @extend_schema(
        summary="An account's latest health score, its components and its 30-day trend",
        description=("The latest computed day's score, band, confidence, scorecard and version, and per "
                     "component its input, points, weight and effective weight (METRICS.md \"Health\"); the "
                     "score fields are null while none has been computed."),
        parameters=[ACCOUNT_ID], responses={200: AccountHealthSerializer, **api_schema.DETAIL_ERRORS, **NO_ACCOUNT},
    )
    def get(self, request: Request, account_external_id: str) -> Response:
        account = get_account_for_tenant(self.tenant, external_id=account_external_id)
        today = tenant_today(self.tenant)
        latest = selectors.latest_score(tenant=self.tenant, account=account)
        trend = selectors.score_trend(tenant=self.tenant, account=account,
                                      start=today - dt.timedelta(days=TREND_DAYS - 1), end=today)
        body = {"account": account.external_id, **score_row(latest), "trend": trend}
        return Response(AccountHealthSerializer(body).data)


class AccountHealthHistoryView(TenantAPIView):
    @extend_schema(
        summary="An account's daily health scores with components",
        description=(f"`from`/`to`: local days YYYY-MM-DD, both included, at most {MAX_RANGE_DAYS} days apart "
                     f"(default: the {HISTORY_DEFAULT_DAYS} days ending `to`, by default today). One row per "
                     "computed day, oldest first; days never computed are absent."),
        parameters=[ACCOUNT_ID, OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE)],
        responses={200: HistorySerializer, 400: api_schema.error("`from` or `to` is invalid; `field` names it"),
                   **api_schema.DETAIL_ERRORS, **NO_ACCOUNT},
    )
    def get(self, request: Request, account_external_id: str) -> Response:
        start, end = history_range(request.query_params, today=tenant_today(self.tenant))
        account = get_account_for_tenant(self.tenant, external_id=account_external_id)
        rows = selectors.score_history(tenant=self.tenant, account=account, start=start, end=end)
        body = {"account": account.external_id, "from": start, "to": end, "days": [score_row(r) for r in rows]}
        return Response(HistorySerializer(body).data)
