"""The health scores API (API.md): start a recompute job, an account's latest score with its trend, and its
daily history. Thin: parse with health.scores.params, fetch through the access helpers and selectors,
call health.scores.jobs, answer.

- ``GET /accounts/{external_id}/health`` answers 200 with null score fields while nothing has been computed
  for the account (it exists: a 404 would say it does not), and ``trend`` is the rows of the 30 local days
  ending today (or ``as_of``), so a gap in the nightly runs shows as missing days rather than being papered
  over. ``?as_of=`` answers that day's row, or a live score when none is stored, with the override in force
  and the 7/30-day changes (health.scores.standing holds the decisions).
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
    as_of_param,
    history_range,
    recompute_request,
)
from health.scores.standing import LIVE, STORED, Standing, standing

TREND_DAYS = 30


class ComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    category = serializers.CharField(required=False, help_text="only the feature-category component: its category")
    input = serializers.FloatField(allow_null=True, help_text="the component's input (METRICS.md); null: no data")
    points = serializers.FloatField(allow_null=True, help_text="0-100 from the mapping; null: left out")
    score = serializers.FloatField(source="points", allow_null=True, help_text="the same as `points` (API.md)")
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


class OverrideSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="the CSM's score, 0-100; null: only the band")
    band = serializers.CharField(help_text="the CSM's band, or the band of the CSM's score")
    reason = serializers.CharField()
    by = serializers.CharField(allow_null=True, help_text="who set it (null: a user since deleted)")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class ChangeSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="the earlier day (the row's day minus the span)")
    delta = serializers.FloatField(allow_null=True, help_text="score(day) - score(start); null: a day has no score")
    by_component = serializers.DictField(child=serializers.FloatField(), allow_null=True,
                                         help_text="per component key, its contribution; they add up to `delta`")
    text = serializers.CharField(allow_blank=True,
                                 help_text="one line, rounded to whole points, e.g. \"-12 in 7 days: NPS -5\"")
    reason = serializers.CharField(allow_blank=True, help_text="why there is no explanation (empty when there is one)")


class AccountHealthSerializer(ScoreRowSerializer):
    account = serializers.CharField(help_text="the account's external_id")
    as_of = serializers.DateField(help_text="the local day asked for (today when `as_of` is omitted)")
    source = serializers.ChoiceField(choices=[STORED, LIVE], allow_null=True, help_text=(
        "stored: the recompute's row of `day`; live: no row is stored for `as_of`, so the score was computed "
        "now from the data up to that day and not stored; null: nothing computed yet"))
    override = OverrideSerializer(allow_null=True, help_text="the CSM override in force (now, or at the end of a "
                                                             "past `as_of`), shown beside the computed score")
    change = serializers.DictField(child=ChangeSerializer(), help_text=(
        "`7d` and `30d`: the change from the row's day minus 7 (30) days to the row's day, explained per "
        "component (METRICS.md \"Health\"); empty while nothing is computed"))
    trend = TrendPointSerializer(many=True, help_text=f"the rows of the {TREND_DAYS} local days ending `as_of`")


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


def standing_body(found: Standing) -> dict:
    row = found.row
    body = dict(NO_SCORE) if row is None else {
        "day": row.day, "score": row.score, "band": row.band, "confidence": row.confidence,
        "scorecard": row.scorecard, "version": row.version, "components": row.components}
    override = found.override
    body["as_of"], body["source"] = found.as_of, row.source if row else None
    body["override"] = None if override is None else {
        "score": override.score, "band": found.override_band, "reason": override.reason,
        "by": override.created_by.get_username() if override.created_by else None,
        "created_at": override.created_at, "expires_at": override.expires_at}
    body["change"] = {f"{days}d": {
        "start": change.start, "delta": change.delta, "by_component": change.by_component if change.explained else None,
        "text": change.text, "reason": change.reason} for days, change in found.changes.items()}
    return body


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
        summary="An account's health score as of a day, its components, override, changes and 30-day trend",
        description=(
            "Without `as_of`: the latest computed day's row (`day` says which) and the override in force now; the "
            "score fields are null while none has been computed. With `as_of` (a local day YYYY-MM-DD from "
            "2000-01-01 to today; else a 400 naming `as_of`): that day's stored row, or, when none is stored, "
            "the score computed live from the data up to that day with the scorecard that applies today "
            "(`source: live`, not stored), and the override in force at the end of that day (now for today). "
            "Per component: input, points (= `score`), weight and effective weight (METRICS.md \"Health\"). "
            "`change`: the 7- and 30-day changes ending at `day`, each component's contribution adding up exactly "
            "to `delta` (null parts, and a `reason`, when either day has no stored score)."),
        parameters=[ACCOUNT_ID, OpenApiParameter("as_of", OpenApiTypes.DATE, description="local day YYYY-MM-DD")],
        responses={200: AccountHealthSerializer, 400: api_schema.error("`as_of` is invalid; `field` names it"),
                   **api_schema.DETAIL_ERRORS, **NO_ACCOUNT},
    )
    def get(self, request: Request, account_external_id: str) -> Response:
        today = tenant_today(self.tenant)
        as_of = as_of_param(request.query_params, today=today)
        account = get_account_for_tenant(self.tenant, external_id=account_external_id)
        found = standing(tenant=self.tenant, account=account, as_of=as_of)
        end = as_of or today
        trend = selectors.score_trend(tenant=self.tenant, account=account,
                                      start=end - dt.timedelta(days=TREND_DAYS - 1), end=end)
        body = {"account": account.external_id, **standing_body(found), "trend": trend}
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
