"""Cursor pagination of the API lists, by ``updated_at`` then ``id``; a bad ``limit`` or ``cursor`` is a
400 naming it."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from cs_platform.api.serializers import whole_number


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

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A bad cursor is bad input (400 naming it), not a missing object.
            raise exceptions.ValidationError({"cursor": ["invalid cursor; use the next/previous links"]}) from None
