"""The tasks API (API.md): ``GET /tasks`` lists CSM tasks (the list base: cursor by ``updated_at`` then
``id``; filters ``assignee``, ``status``, ``account``, ``updated_since``), ``GET /tasks/{id}`` answers one,
and ``POST /tasks/{id}`` completes, reopens, snoozes or comments on it and answers the task.

An API key has no user: the audit rows the API writes have ``by`` null (the task page says "the platform or
the API"). ``status`` is the task's state today in the tenant's time zone: ``open`` (not done, not
snoozed), ``snoozed`` (not done, snoozed until a later day) or ``done``; the list shows ``open`` ones
unless ``status`` says otherwise.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import tenant_today
from accounts.worklist import selectors, services
from accounts.worklist.access import get_task_for_tenant
from accounts.worklist.models import COMMENT_MAX, CsmTask
from accounts.worklist.selectors import Status
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.filters import OffsetDateTimeFilter
from cs_platform.api.parsers import BoundedJSONParser
from cs_platform.api.serializers import MAX_EXTERNAL_ID, BoundedDate, StrictSerializer
from cs_platform.api.views import LIST_DESCRIPTION, UPDATED_SINCE, TenantListView

EMAIL_MAX = 254


def task_status(task: CsmTask, today: Any) -> str:
    if task.done_at is not None:
        return Status.DONE
    return Status.SNOOZED if task.snoozed_until and task.snoozed_until > today else Status.OPEN


class TaskSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", read_only=True, help_text="the account's external_id")
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, read_only=True,
                                      help_text="the assignee's email, or null (nobody)")
    status = serializers.SerializerMethodField(help_text="open, snoozed or done, today in the tenant's time zone")

    class Meta:
        model = CsmTask
        fields = ("id", "title", "detail", "account", "assignee", "status", "due_on", "snoozed_until", "done_at",
                  "source_kind", "source_id", "created_at", "updated_at")
        read_only_fields = fields

    def get_status(self, task: CsmTask) -> str:
        return task_status(task, self.context["today"])


class TaskFilter(django_filters.FilterSet):
    updated_since = OffsetDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                         help_text="rows updated at or after this time (ISO 8601 with offset)")
    assignee = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact", max_length=EMAIL_MAX,
                                         help_text="the assignee's email")
    status = django_filters.ChoiceFilter(choices=Status.CHOICES, method="by_status",
                                         help_text="open (default), snoozed, done or all")
    account = django_filters.CharFilter(field_name="account__external_id", max_length=MAX_EXTERNAL_ID,
                                        help_text="the account's external_id")

    class Meta:
        model = CsmTask
        fields: list[str] = []

    def _today(self) -> Any:
        return tenant_today(self.request.auth.tenant)

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.with_status(queryset, status=value, today=self._today())

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):  # no status given: the open ones, like the task list page
            queryset = selectors.with_status(queryset, status=Status.OPEN, today=self._today())
        return queryset


@extend_schema_view(get=extend_schema(
    summary="List CSM tasks", parameters=[UPDATED_SINCE],
    description=LIST_DESCRIPTION + " Without `status`, the open tasks (not done, not snoozed).",
    responses={200: TaskSerializer, **api_schema.LIST_ERRORS},
))
class TaskListView(TenantListView):
    model = CsmTask
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    list_rows = staticmethod(selectors.api_task_rows)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["today"] = tenant_today(self.tenant)
        return context


class Action:
    COMPLETE, REOPEN, SNOOZE, COMMENT = "complete", "reopen", "snooze", "comment"
    CHOICES = (COMPLETE, REOPEN, SNOOZE, COMMENT)


class TaskActionInput(StrictSerializer):
    action = serializers.ChoiceField(choices=Action.CHOICES)
    until = BoundedDate(required=False, help_text="snooze: the local day the task is back (YYYY-MM-DD), after "
                                                  f"today, at most {services.SNOOZE_MAX_DAYS} days ahead")
    comment = serializers.CharField(required=False, max_length=COMMENT_MAX, help_text="comment: the text")

    def validate(self, data: dict) -> dict:
        if data["action"] == Action.SNOOZE and "until" not in data:
            raise serializers.ValidationError({"until": ["required to snooze"]})
        if data["action"] == Action.COMMENT and not (data.get("comment") or "").strip():
            raise serializers.ValidationError({"comment": ["required to comment"]})
        return data


TASK_ID = OpenApiParameter("task_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="the task's id")


class TaskDetailView(TenantAPIView):
    parser_classes = [BoundedJSONParser]

    def _answer(self, task_pk: int) -> Response:
        task = selectors.task_for_api(tenant=self.tenant, pk=task_pk)
        return Response(TaskSerializer(task, context={"today": tenant_today(self.tenant)}).data)

    @extend_schema(summary="One CSM task", parameters=[TASK_ID],
                   responses={200: TaskSerializer, **api_schema.DETAIL_ERRORS})
    def get(self, request: Request, task_pk: int) -> Response:
        return self._answer(get_task_for_tenant(self.tenant, pk=task_pk).pk)

    @extend_schema(
        summary="Complete, reopen, snooze or comment on a CSM task",
        description=("`action`: `complete` (a done task stays as it was), `reopen`, `snooze` (needs `until`; a "
                     "done task cannot be snoozed) or `comment` (needs `comment`, 1-5,000 characters). Answers "
                     "the task. The audit rows have no user: the API acted."),
        parameters=[TASK_ID], request=TaskActionInput,
        responses={200: TaskSerializer, **api_schema.WRITE_ERRORS, 404: api_schema.error("no such task")},
    )
    def post(self, request: Request, task_pk: int) -> Response:
        task = get_task_for_tenant(self.tenant, pk=task_pk)
        body = TaskActionInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data["action"] == Action.COMPLETE:
                services.complete_task(tenant=self.tenant, task=task, by=None)
            elif data["action"] == Action.REOPEN:
                services.reopen_task(tenant=self.tenant, task=task, by=None)
            elif data["action"] == Action.SNOOZE:
                services.snooze_task(tenant=self.tenant, task=task, until=data["until"], by=None)
            else:
                services.add_comment(tenant=self.tenant, task=task, body=data["comment"], by=None)
        except services.TaskError as error:
            raise serializers.ValidationError({error.field: [str(error)]}) from None
        return self._answer(task.pk)
