"""View bases of the API lists and bulk upserts (API.md): a cursor-paginated list of one tenant's rows,
and a bulk upsert that writes every valid item and reports every invalid one by its index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tenancy import TenantQuerySet
from cs_platform.api.base import TenantAPIView
from cs_platform.api.pagination import UpdatedCursorPagination
from cs_platform.api.parsers import BoundedJSONParser, NDJSONParser, PayloadTooLarge, report_invalid_lines
from cs_platform.bulk import MAX_BATCH, BulkResult


class TenantListView(TenantAPIView, generics.ListAPIView):
    """A cursor-paginated, filtered list of one tenant's rows.

    The rows come from ``list_rows``, a selector of the view's app called with ``tenant=``: it answers the
    queryset with everything a serialized row reads, fetched in the same query (API views do no ORM work
    of their own). ``model`` only tells the schema generator what the rows are."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = UpdatedCursorPagination
    model: type
    list_rows: Callable[..., QuerySet]  # set as staticmethod(selector)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no tenant; a bare queryset tells it the model without a query.
            return TenantQuerySet(model=self.model).none()
        return type(self).list_rows(tenant=self.tenant)


LIST_DESCRIPTION = (
    "Cursor-paginated, ordered by `updated_at` then `id`: follow `next` until it is null. A row updated "
    "during a walk moves to the end (seen again), which suits a sync by `updated_since`. `limit` is 1-500 "
    "(default 100; larger values are capped at 500)."
)


UPDATED_SINCE = OpenApiParameter(
    "updated_since", OpenApiTypes.DATETIME,
    description="rows updated at or after this time; ISO 8601 with an offset, e.g. 2025-01-31T00:00:00+00:00",
)


def bulk_items(data: Any, *, limit: int = MAX_BATCH) -> list[Any]:
    """The batch of a bulk body: a JSON array (or NDJSON lines) of at most ``limit`` items."""
    if not isinstance(data, list):
        raise exceptions.ValidationError({"body": ["must be a JSON array of objects (or NDJSON lines)"]})
    if len(data) > limit:
        raise PayloadTooLarge(f"at most {limit} items per request; got {len(data)}")
    return data


class BulkUpsertView(TenantAPIView):
    """Upsert by external_id: every valid item is written, every invalid one reported by index."""

    parser_classes = [BoundedJSONParser, NDJSONParser]
    write_scope = "write"
    upsert: Callable[..., BulkResult]
    max_items = MAX_BATCH  # an endpoint may take more (subscription periods: 5,000)

    def post(self, request: Request) -> Response:
        items = bulk_items(request.data, limit=self.max_items)
        result = type(self).upsert(tenant=self.tenant, items=items)
        return Response(report_invalid_lines(items, result).as_dict())
