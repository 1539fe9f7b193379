"""Validation of account and contact items, shared by the API's bulk endpoints, the CSV import and
the seeding command, so that every way in accepts exactly the same data.

Unknown fields are errors (a typo such as ``seat`` must not silently drop data). Values from CSV
arrive as strings; the serializers coerce them, and empty strings mean "no value".
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import KnowledgeLevel, LifecycleStage

MAX_BATCH = 1000


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
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


class OptionalDate(BlankAsNoneMixin, serializers.DateField):
    pass


class AccountItem(StrictSerializer):
    external_id = serializers.CharField(max_length=128)
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=200, required=False, allow_blank=True)
    plan = serializers.CharField(max_length=64, required=False, allow_blank=True)
    tier = serializers.CharField(max_length=32, required=False, allow_blank=True)
    arr = OptionalDecimal(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)
    seats = OptionalInteger(min_value=0, required=False, allow_null=True)
    contract_start = OptionalDate(required=False, allow_null=True)
    renewal_date = OptionalDate(required=False, allow_null=True)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)
    csm_email = serializers.EmailField(required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        start, renewal = attrs.get("contract_start"), attrs.get("renewal_date")
        if start and renewal and renewal < start:
            raise serializers.ValidationError({"renewal_date": ["must not be before contract_start"]})
        if "tier" in attrs:
            attrs["tier"] = attrs["tier"].strip().lower()
        if attrs.get("arr", 0) is None:
            attrs["arr"] = 0
        return attrs


class ContactItem(StrictSerializer):
    external_id = serializers.CharField(max_length=128)
    account = serializers.CharField(max_length=128, help_text="the account's external_id")
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[0-9 ().\-]{3,32}$", required=False, allow_blank=True, max_length=32)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    persona = serializers.CharField(max_length=64, required=False, allow_blank=True)
    knowledge_level = serializers.ChoiceField(choices=KnowledgeLevel.choices, required=False)

    def validate(self, attrs: dict) -> dict:
        if "email" in attrs:
            attrs["email"] = attrs["email"].strip().lower()
        return attrs


class ItemValidator:
    """Validates many items with one serializer instance.

    A DRF serializer deep-copies its declared fields on every instantiation, which was two thirds of
    the time of a bulk upsert; binding the fields once and calling ``run_validation`` per item keeps
    the exact same rules at about three times the speed.
    """

    def __init__(self, serializer_class: type[StrictSerializer]) -> None:
        self.serializer = serializer_class()

    def __call__(self, raw: Any) -> tuple[dict | None, list[dict]]:
        """One item -> (clean data, []) or (None, [{"field", "message"}, ...])."""
        from accounts.api_errors import flatten_errors

        if not isinstance(raw, dict):
            return None, [{"field": None, "message": "each item must be a JSON object"}]
        try:
            return dict(self.serializer.run_validation(raw)), []
        except serializers.ValidationError as exc:
            return None, flatten_errors(exc.detail)
