"""Strict input serializers shared by every app's API: an unknown field is an error (a typo such as
``seat`` must not silently drop data), and a blank CSV cell means "no value". External ids that the API
creates follow one rule (``external_id_error``).

The integer ranges of PostgreSQL's columns live here too, for every serializer, form and plain
validator that takes a number: a value past its column's range would be a ``DataError`` (a 500, or a
whole bulk batch lost) instead of a 400 naming the field. ``INT4_MAX`` is also the bound of seconds
stored in an ``integer`` column, hence ``INT4_MAX // 60`` for minutes that the code turns into seconds.
JavaScript readers lose precision past ``JS_SAFE_INT``, which bounds what an int8 input may hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from cs_platform import bounds

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


INT2_MAX = 2**15 - 1  # smallint / PositiveSmallIntegerField
INT4_MAX = 2**31 - 1  # integer / IntegerField, PositiveIntegerField
INT4_MIN = -(2**31)
INT8_MAX = 2**63 - 1  # bigint
JS_SAFE_INT = 2**53 - 1  # Number.MAX_SAFE_INTEGER: the most a bigint may hold if JS reads it back
MINUTES_IN_INT4_SECONDS = INT4_MAX // 60


def whole_number(raw: str | None, *, low: int = 0, high: int = INT4_MAX) -> int | None:
    """A query or form parameter as an int in ``[low, high]``, or None. ``str.isdigit`` alone lets "²"
    (a digit to Unicode, not to ``int``) and 5,000-digit strings (past Python's conversion limit) reach
    ``int()``: both were 500s."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def decimal_max(max_digits: int, decimal_places: int) -> Decimal:
    """The largest value of ``numeric(max_digits, decimal_places)``, e.g. 999999999999.99 for (14, 2)."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


class StrictSerializer(serializers.Serializer):
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
