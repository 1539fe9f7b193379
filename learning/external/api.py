"""The learning API (API.md): paths, a contact's enrollments with progress per step, and completions from an
external LMS. Thin: parse with learning.external.inputs, fetch through access helpers and selectors, call
learning.external.services, answer.

- ``POST /learning/completions`` takes one object or a list (at most 1,000) and always answers the bulk shape
  plus ``completions`` (each recorded item's stored state), like ``POST /survey-responses``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_contact_for_tenant
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.pagination import UpdatedCursorPagination
from cs_platform.api.parsers import BoundedJSONParser, report_invalid_lines
from cs_platform.api.views import LIST_DESCRIPTION, TenantListView, bulk_items
from cs_platform.bulk import MAX_BATCH
from learning.external import selectors
from learning.external.inputs import CompletionItem
from learning.external.services import record_completions
from learning.models import Enrollment, LearningPath
from learning.targeting import RULE_FIELDS


class StepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    required = serializers.BooleanField(source="is_required")


class PathSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.number", allow_null=True, default=None,
                                       help_text="the current published version (null: never published)")
    steps = serializers.SerializerMethodField()
    targeting = serializers.SerializerMethodField()
    prerequisites = serializers.SerializerMethodField()

    class Meta:
        model = LearningPath
        fields = ["id", "slug", "name", "description", "is_published", "is_required", "priority", "version",
                  "steps", "targeting", "prerequisites", "created_at", "updated_at"]

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, path: LearningPath) -> list[dict]:
        version = path.current_version
        return StepSerializer(version.step_list if version else [], many=True).data

    @extend_schema_field({"type": "object", "properties": {f: {"type": "array", "items": {"type": "string"}}
                                                           for f in RULE_FIELDS}})
    def get_targeting(self, path: LearningPath) -> dict[str, list[str]]:
        rule = next(iter(path.rule_list), None)
        return {name: list(getattr(rule, name) or []) if rule else [] for name in RULE_FIELDS}

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_prerequisites(self, path: LearningPath) -> list[str]:
        return [p.requires.slug for p in path.prerequisite_list]


class StepProgressSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    required = serializers.BooleanField()
    done_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.JSONField(allow_null=True)


class EnrollmentSerializer(serializers.ModelSerializer):
    path = serializers.CharField(source="path.slug")
    path_name = serializers.CharField(source="path.name")
    version = serializers.IntegerField(source="version.number")
    # Plain text in the schema: a choice field would make a second "status" enum, renaming the tickets' one.
    status = serializers.CharField(help_text="enrolled, started, completed or withdrawn")
    source = serializers.CharField(help_text="targeting, support, manual or external")
    certificate_url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = ["id", "path", "path_name", "version", "status", "source", "enrolled_at", "started_at",
                  "completed_at", "withdrawn_at", "certificate_url", "progress"]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_certificate_url(self, enrollment: Enrollment) -> str | None:
        """The public page that verifies the certificate (no login), once completed."""
        if enrollment.status != "completed" or not enrollment.certificate_code:
            return None
        return self.context["request"].build_absolute_uri(f"/certificates/{enrollment.certificate_code}/")

    @extend_schema_field(StepProgressSerializer(many=True))
    def get_progress(self, enrollment: Enrollment) -> list[dict]:
        done = {p.step_id: p for p in enrollment.progress_list}
        rows = [{"key": s.key, "kind": s.kind, "title": s.title, "required": s.is_required,
                 "done_at": done[s.pk].done_at if s.pk in done else None,
                 "evidence": done[s.pk].evidence if s.pk in done else None} for s in enrollment.version.step_list]
        return StepProgressSerializer(rows, many=True).data


@extend_schema_view(get=extend_schema(
    summary="Learning paths, published or not, with their current version's steps, targeting and prerequisites",
    description=LIST_DESCRIPTION, responses={200: PathSerializer, **api_schema.LIST_ERRORS}))
class PathListView(TenantListView):
    model = LearningPath
    serializer_class = PathSerializer
    list_rows = staticmethod(selectors.api_path_rows)


class EnrolledCursorPagination(UpdatedCursorPagination):
    # Enrollments have no updated_at: they page by when they were made (a re-enrollment moves one to the end).
    ordering = ("enrolled_at", "id")


CONTACT_ID = OpenApiParameter("contact_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="the contact's external_id (no slashes)")


@extend_schema_view(get=extend_schema(
    summary="A contact's enrollments with progress per step",
    parameters=[CONTACT_ID],
    description=("Cursor-paginated by `enrolled_at` then `id`; `limit` 1-500 (default 100). Each enrollment: its "
                 "path's slug, the version the learner follows, status, dates, the certificate's verify URL once "
                 "completed, and every step of that version with `done_at` and `evidence` (null when not done)."),
    responses={200: EnrollmentSerializer, **api_schema.LIST_ERRORS, 404: api_schema.error("no such contact")}))
class ContactEnrollmentListView(TenantListView):
    model = Enrollment
    serializer_class = EnrollmentSerializer
    pagination_class = EnrolledCursorPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        contact = get_contact_for_tenant(self.tenant, external_id=self.kwargs["contact_external_id"])
        return selectors.api_enrollment_rows(tenant=self.tenant, contact=contact)


COMPLETION_BODY = PolymorphicProxySerializer(
    component_name="LearningCompletionBody", serializers=[CompletionItem, CompletionItem(many=True)],
    resource_type_field_name=None, many=False)


class CompletionOut(serializers.Serializer):
    index = serializers.IntegerField()
    contact = serializers.CharField()
    path = serializers.CharField()
    step = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    step_done_at = serializers.DateTimeField(allow_null=True, required=False)


class CompletionResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="items whose completion is recorded (now, or already before)")
    duplicates = serializers.IntegerField(help_text="repeats of an earlier item of the same batch")
    rejected = api_schema.RejectedItemSerializer(many=True)
    completions = CompletionOut(many=True, help_text="each recorded item's stored state, by index")


class CompletionView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Record steps or paths completed in an external LMS (idempotent)",
        description=(f"One object or a JSON array of at most {MAX_BATCH}. `contact` is an external id; `path` a "
                     "path's slug or id (alone: the whole path); `step` with `path` a step's key, without it a "
                     "step id; `completed_at` not in the future; `score` 0-100 (kept as evidence). A contact "
                     "not enrolled is enrolled first (source `external`). The same completion again changes "
                     "nothing and is answered the same. Every valid item is written; each invalid one is listed "
                     "under `rejected` by its 0-based index."),
        request=COMPLETION_BODY,
        responses={200: CompletionResultSerializer, **api_schema.BULK_ERRORS},
    )
    def post(self, request: Request) -> Response:
        items = [request.data] if isinstance(request.data, dict) else bulk_items(request.data)
        result = record_completions(tenant=self.tenant, items=items)
        body = report_invalid_lines(items, result).as_dict()
        body["completions"] = CompletionOut(body["completions"], many=True).data
        return Response(body)
