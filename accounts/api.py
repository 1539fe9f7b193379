"""Integration API for customer accounts, contacts and jobs (API.md).

Views stay thin: parse the body, fetch through ``accounts.access``, call ``accounts.services``, answer.
Choices made for the contract and documented in the OpenAPI schema:
- ``arr`` is answered as a decimal *string* ("12000.00"), so no client loses cents to floats.
- Lists are ordered by ``updated_at`` then ``id`` and cursor-paginated: a row changed during a walk
  moves to the end and is seen again, which is what a sync by ``updated_since`` wants.
- Filters on dates follow the report convention: ``*_after`` inclusive, ``*_before`` exclusive.
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

from accounts import selectors
from accounts.access import get_account_for_tenant, get_contact_for_tenant, get_job_for_tenant
from accounts.inputs import AccountItem, ContactItem
from accounts.models import Contact, CustomerAccount, Job, KnowledgeLevel, LifecycleStage
from accounts.services.contacts import upsert_contacts
from accounts.services.customers import upsert_accounts
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from cs_platform.api.filters import BoundedDateFilter, OffsetDateTimeFilter
from cs_platform.api.views import LIST_DESCRIPTION, UPDATED_SINCE, BulkUpsertView, TenantListView
from cs_platform.bulk import MAX_BATCH


class AccountSerializer(serializers.ModelSerializer):
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True,
                                   help_text="annual recurring revenue, a decimal string")
    csm_email = serializers.EmailField(source="owner_csm.email", allow_null=True, read_only=True,
                                       help_text="email of the owning CSM, or null")

    class Meta:
        model = CustomerAccount
        fields = ("external_id", "name", "domain", "plan", "tier", "arr", "seats", "contract_start",
                  "renewal_date", "lifecycle_stage", "csm_email", "created_at", "updated_at")
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", read_only=True,
                                    help_text="the account's external_id")

    class Meta:
        model = Contact
        fields = ("external_id", "account", "email", "phone", "name", "persona", "knowledge_level", "language",
                  "first_seen_at", "last_seen_at", "created_at", "updated_at")
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, help_text="0-100; 100 once done")

    class Meta:
        model = Job
        fields = ("id", "kind", "state", "total", "done", "percent", "result", "created_at", "updated_at")
        read_only_fields = fields


class AccountFilter(django_filters.FilterSet):
    updated_since = OffsetDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                         help_text="rows updated at or after this time (ISO 8601 with offset)")
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    tier = django_filters.CharFilter(lookup_expr="iexact")
    csm_email = django_filters.CharFilter(field_name="owner_csm__email", lookup_expr="iexact",
                                          help_text="the owning CSM's email")
    q = django_filters.CharFilter(method="search", help_text="name, domain or external_id contains")
    renewal_after = BoundedDateFilter(field_name="renewal_date", lookup_expr="gte",
                                      help_text="renewal on or after this date")
    renewal_before = BoundedDateFilter(field_name="renewal_date", lookup_expr="lt",
                                       help_text="renewal strictly before this date")

    class Meta:
        model = CustomerAccount
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search_accounts(queryset, value)


class ContactFilter(django_filters.FilterSet):
    updated_since = OffsetDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                         help_text="rows updated at or after this time (ISO 8601 with offset)")
    account = django_filters.CharFilter(field_name="account__external_id", help_text="the account's external_id")
    email = django_filters.CharFilter(lookup_expr="iexact")
    persona = django_filters.CharFilter()
    knowledge_level = django_filters.ChoiceFilter(choices=KnowledgeLevel.choices)
    q = django_filters.CharFilter(method="search", help_text="name, email, phone or external_id contains")

    class Meta:
        model = Contact
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search_contacts(queryset, value)


@extend_schema_view(get=extend_schema(
    summary="List accounts", parameters=[UPDATED_SINCE],
    description=LIST_DESCRIPTION + " `arr` is a decimal string, e.g. \"12000.00\".",
    responses={200: AccountSerializer, **api_schema.LIST_ERRORS},
))
class AccountListView(TenantListView):
    model = CustomerAccount
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    list_rows = staticmethod(selectors.api_account_rows)


@extend_schema_view(get=extend_schema(
    summary="List contacts", parameters=[UPDATED_SINCE], description=LIST_DESCRIPTION,
    responses={200: ContactSerializer, **api_schema.LIST_ERRORS},
))
class ContactListView(TenantListView):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    list_rows = staticmethod(selectors.api_contact_rows)


ACCOUNT_ID = OpenApiParameter("account_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="the account's external_id (no slashes)")


CONTACT_ID = OpenApiParameter("contact_external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="the contact's external_id (no slashes)")


JOB_ID = OpenApiParameter("job_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="the job's id")


class AccountDetailView(TenantAPIView):
    @extend_schema(summary="One account", parameters=[ACCOUNT_ID],
                   responses={200: AccountSerializer, **api_schema.DETAIL_ERRORS})
    def get(self, request: Request, account_external_id: str) -> Response:
        account = get_account_for_tenant(self.tenant, external_id=account_external_id)
        return Response(AccountSerializer(account).data)


class ContactDetailView(TenantAPIView):
    @extend_schema(summary="One contact", parameters=[CONTACT_ID],
                   responses={200: ContactSerializer, **api_schema.DETAIL_ERRORS})
    def get(self, request: Request, contact_external_id: str) -> Response:
        contact = get_contact_for_tenant(self.tenant, external_id=contact_external_id)
        return Response(ContactSerializer(contact).data)


class JobDetailView(TenantAPIView):
    @extend_schema(summary="A background job's state and progress", parameters=[JOB_ID],
                   responses={200: JobSerializer, **api_schema.DETAIL_ERRORS})
    def get(self, request: Request, job_pk: int) -> Response:
        job = get_job_for_tenant(self.tenant, pk=job_pk)
        return Response(JobSerializer(job).data)


def _bulk_schema(item: type[serializers.Serializer], what: str) -> Any:
    return extend_schema_view(post=extend_schema(
        summary=f"Upsert {what} by external_id",
        description=(f"A JSON array of {what}, or NDJSON (one object per line), at most {MAX_BATCH} items and "
                     "1 MB. Idempotent: an item equal to the stored row counts as a duplicate. Every valid "
                     "item is written; each invalid one is listed under `rejected` by its 0-based index."),
        request={"application/json": item(many=True), "application/x-ndjson": item},
        responses={200: api_schema.BulkResultSerializer, **api_schema.BULK_ERRORS},
    ))


@_bulk_schema(AccountItem, "accounts")
class AccountBulkView(BulkUpsertView):
    upsert = staticmethod(upsert_accounts)


@_bulk_schema(ContactItem, "contacts")
class ContactBulkView(BulkUpsertView):
    upsert = staticmethod(upsert_contacts)
