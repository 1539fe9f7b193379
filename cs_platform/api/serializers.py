"""Strict input serializers shared by every app's API: an unknown field is an error (a typo such as
``seat`` must not silently drop data), and a blank CSV cell means "no value". External ids that the API
creates follow one rule (``external_id_error``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cs_platform import bounds
from cs_platform.bounds import INT4_MAX, INT4_MIN

MAX_EXTERNAL_ID = 128
# ``/accounts/bulk`` is the bulk endpoint, so an account (or contact, ticket) named "bulk" could never be
# read back at ``/accounts/{external_id}``; nor could one with a "/" in it (README, API).
RESERVED_EXTERNAL_IDS = frozenset({"bulk"})


def external_id_error(value: str) -> str | None:
    """Why ``value`` cannot be an external id that addresses an object in a URL path, or None."""
    if "/" in value:
        return "must not contain '/': external ids are URL path segments"
    if value.strip() in RESERVED_EXTERNAL_IDS:
        return f"'{value.strip()}' is reserved"
    return None


def validate_external_id(value: str) -> None:
    """``external_id_error`` as a validator, for serializers and forms alike."""
    if message := external_id_error(value):
        raise DjangoValidationError(message)


class ExternalIdField(serializers.CharField):
    """An external id the API may create: up to ``MAX_EXTERNAL_ID`` characters, addressable in a URL."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_EXTERNAL_ID)
        super().__init__(**kwargs)
        self.validators.append(validate_external_id)


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.Field):
    """A timestamp in a body: ISO 8601 with a UTC offset (a naive time would silently mean the server's
    zone), inside cs_platform.bounds' window (2000 to ten years ahead: a far one breaks later reads)."""

    default_error_messages = {
        "invalid": "an ISO 8601 date-time with an offset, e.g. 2025-01-31T09:00:00+00:00",
        "naive": "include a UTC offset, e.g. 2025-01-31T09:00:00+00:00 or ...Z",
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return bounds.parse_offset_time(data)
        except bounds.TimeInputError as error:
            if error.message:
                raise serializers.ValidationError(error.message) from None
            self.fail(error.code)

    def to_representation(self, value: Any) -> Any:
        return value.isoformat() if value else None


class StrictSerializer(serializers.Serializer):
    # Fields of which a body must give at least one, non-blank (the subclass's ``validate`` refuses the rest);
    # the schema states it as ``anyOf`` (cs_platform.api.schema.StrictSerializerExtension).
    requires_one_of: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["each item must be a JSON object"]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


class BlankAsNoneMixin:
    """CSV cells are strings: an empty cell means "no value", not "invalid"."""

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and not self.required:
            return None
        return super().to_internal_value(data)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "" and not self.required:
            return True, None
        return super().validate_empty_values(data)


class OptionalDecimal(BlankAsNoneMixin, serializers.DecimalField):
    pass


class OptionalInteger(BlankAsNoneMixin, serializers.IntegerField):
    """An ``integer`` column's value: bounded to int4 unless a narrower range is given."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", INT4_MAX)
        kwargs.setdefault("min_value", INT4_MIN)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDate(serializers.DateField):
    """A date in cs_platform.bounds' window, written with ASCII digits."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DD")
        day = super().to_internal_value(value)
        message = bounds.date_error(day)
        if message:
            raise serializers.ValidationError(message)
        return day


class OptionalDate(BlankAsNoneMixin, BoundedDate):
    pass
