"""Query-string filters shared by the API lists: date-times must carry a UTC offset."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cs_platform import bounds
from cs_platform.web.fields import BoundedDateField

# A "+" in an unencoded query string arrives as a space: "...T10:00:00 02:00" meant "+02:00".
_SPACE_FOR_PLUS = re.compile(r" ([0-9]{2}(?::?[0-9]{2})?)$")


class OffsetDateTimeField(forms.Field):
    """ISO 8601 with a UTC offset (API.md): a naive time would silently mean the server's zone."""

    default_error_messages = {
        "invalid": "enter an ISO 8601 date-time with an offset, e.g. 2025-01-31T00:00:00+00:00",
        "naive": "include a UTC offset, e.g. 2025-01-31T00:00:00+00:00 or ...Z",
    }

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        text = _SPACE_FOR_PLUS.sub(r"+\1", str(value).strip())
        try:
            return bounds.parse_offset_time(text)
        except bounds.TimeInputError as error:
            message = error.message or self.error_messages[error.code]
            raise forms.ValidationError(message, code=error.code) from None


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeFilter(django_filters.Filter):
    field_class = OffsetDateTimeField


@extend_schema_field(OpenApiTypes.DATE)
class BoundedDateFilter(django_filters.DateFilter):
    """YYYY-MM-DD in ASCII digits, inside cs_platform.bounds' window (a 400 naming the parameter otherwise)."""

    field_class = BoundedDateField
