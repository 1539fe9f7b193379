"""Integration API of surveys (API.md): survey definitions, responses collected elsewhere, and an
account's responses. Thin: parse with surveys.inputs, fetch through the access helpers, call
surveys.services, answer.

- ``POST /survey-responses`` takes one object or a list (at most 1,000) and always answers the bulk
  shape: one object is a batch of one, so a widget and a nightly sync read the same answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_account_for_tenant
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.parsers import BoundedJSONParser, report_invalid_lines
from cs_platform.api.views import LIST_DESCRIPTION, TenantListView, bulk_items
from cs_platform.bulk import MAX_BATCH
from surveys import selectors
from surveys.inputs import ResponseItem, SurveyInput
from surveys.models import Survey, SurveyResponse, SurveyText
from surveys.services import SurveyData, SurveyError, TextData, record_responses, save_survey


class SurveyTextSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyText
        fields = ["language", "question", "followup_low", "followup_mid", "followup_high", "thank_you"]


class SurveySerializer(serializers.ModelSerializer):
    texts = SurveyTextSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "kind", "name", "is_default", "is_active", "delay_hours", "brand_colour",
                  "default_language", "texts", "created_at", "updated_at"]


class AccountResponseSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="survey_id")
    survey_kind = serializers.CharField(source="survey.kind")
    survey_name = serializers.CharField(source="survey.name")
    contact = serializers.CharField(source="contact.external_id")
    ticket = serializers.CharField(source="ticket.external_id", allow_null=True, default=None)

    class Meta:
        model = SurveyResponse
        fields = ["id", "external_id", "survey", "survey_kind", "survey_name", "contact", "ticket", "score",
                  "comment", "followup_answer", "submitted_at", "language", "source", "created_at", "updated_at"]


@extend_schema_view(
    get=extend_schema(summary="List survey definitions", description=LIST_DESCRIPTION,
                      responses={200: SurveySerializer, **api_schema.LIST_ERRORS}),
    post=extend_schema(
        summary="Create a survey definition",
        description=("`kind` is `csat` (1-5), `nps` (0-10) or `ces` (1-7). `texts`: one per language (question, "
                     "follow-ups by score band, thank-you), the `default_language` among them. `is_default` makes "
                     "it what `survey: \"<kind>\"` means in `POST /survey-responses`. 201 when created."),
        request=SurveyInput, responses={201: SurveySerializer, **api_schema.WRITE_ERRORS}),
)
class SurveyListView(TenantListView):
    model = Survey
    serializer_class = SurveySerializer
    list_rows = staticmethod(selectors.api_survey_rows)
    parser_classes = [BoundedJSONParser]

    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": ["must be a JSON object"]})
        body = SurveyInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        texts = [TextData(**t) for t in values.pop("texts")]
        try:
            survey = save_survey(tenant=self.tenant, survey=None, data=SurveyData(texts=texts, **values))
        except SurveyError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        row = selectors.api_survey_rows(tenant=self.tenant).get(pk=survey.pk)
        return Response(SurveySerializer(row).data, status=201)


RESPONSE_BODY = PolymorphicProxySerializer(
    component_name="SurveyResponseBody", serializers=[ResponseItem, ResponseItem(many=True)],
    resource_type_field_name=None, many=False)


class SurveyResponseView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Record survey responses collected elsewhere (idempotent by external_id)",
        description=(f"One object or a JSON array of at most {MAX_BATCH}. `survey` is a survey id or `csat`/`nps`/"
                     "`ces` (the tenant's default survey of that kind, created on first use); `contact` and "
                     "`ticket` are external ids; `score` must be on the survey's scale. A repeated `external_id` "
                     "with the same values is a duplicate; with other values it updates the response. Every "
                     "valid item is written; each invalid one is listed under `rejected` by its 0-based index "
                     "(a single object is index 0)."),
        request=RESPONSE_BODY,
        responses={200: api_schema.BulkResultSerializer, **api_schema.BULK_ERRORS},
    )
    def post(self, request: Request) -> Response:
        items = [request.data] if isinstance(request.data, dict) else bulk_items(request.data)
        result = record_responses(tenant=self.tenant, items=items)
        return Response(report_invalid_lines(items, result).as_dict())


ACCOUNT_ID = OpenApiParameter("account_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="the account's external_id (no slashes)")


@extend_schema_view(get=extend_schema(
    summary="An account's survey responses with comments", parameters=[ACCOUNT_ID], description=LIST_DESCRIPTION,
    responses={200: AccountResponseSerializer, **api_schema.LIST_ERRORS, 404: api_schema.error("no such account")}))
class AccountResponseListView(TenantListView):
    model = SurveyResponse
    serializer_class = AccountResponseSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        account = get_account_for_tenant(self.tenant, external_id=self.kwargs["account_external_id"])
        return selectors.account_response_rows(tenant=self.tenant, account=account)
