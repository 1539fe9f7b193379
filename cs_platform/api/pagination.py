"""Cursor pagination of the API lists, by ``updated_at`` then ``id``; a bad ``limit`` or ``cursor`` is a
400 naming it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from cs_platform.bounds import INT4_MAX, whole_number


class UpdatedCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500
    # The position lives in updated_at; id makes the order total so equal timestamps (one bulk
    # update stamps them all alike) still page without gaps or repeats.
    ordering = ("updated_at", "id")

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # DRF silently falls back to the default on garbage; the API names the bad field instead.
        value = whole_number(raw, low=1)
        if value is None:
            raise exceptions.ValidationError({"limit": [f"a whole number from 1 to {self.max_page_size}"]})
        return min(value, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # The range get_page_size accepts (above max_page_size it caps, beyond int4 it refuses), so that a
        # schema-valid limit is never a 400.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": INT4_MAX}
        return parameters

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            # A bad cursor is bad input (400 naming it), not a missing object.
            raise _invalid_cursor() from None
        # DRF trusts the position it decodes and filters ``updated_at`` by it: a crafted one that is not an
        # aware timestamp (or holds a NUL, which PostgreSQL refuses) failed in the query, a 500.
        if cursor is not None and cursor.position is not None and not _is_position(cursor.position):
            raise _invalid_cursor()
        return cursor


def _invalid_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError({"cursor": ["invalid cursor; use the next/previous links"]})


def _is_position(position: str) -> bool:
    """What DRF encodes for ``updated_at``: ``str()`` of an aware datetime."""
    if len(position) > 64 or not position.isprintable():  # parse_datetime overlooks a trailing NUL
        return False
    try:
        parsed = parse_datetime(position)
    except ValueError:
        return False
    return parsed is not None and timezone.is_aware(parsed)
