"""Validation of account and contact items, shared by the API's bulk endpoints, the CSV import and
the seeding command, so that every way in accepts exactly the same data.

Unknown fields are errors (a typo such as ``seat`` must not silently drop data). Values from CSV
arrive as strings; the serializers coerce them, and empty strings mean "no value".
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import KnowledgeLevel, LifecycleStage
from cs_platform.api.serializers import (
    ExternalIdField,
    OptionalDate,
    OptionalDecimal,
    OptionalInteger,
    StrictSerializer,
)
from surveys.languages import MAX_LANGUAGE, language_error


class AccountItem(StrictSerializer):
    external_id = ExternalIdField()
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
    external_id = ExternalIdField()
    account = serializers.CharField(max_length=128, help_text="the account's external_id")
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[0-9 ().\-]{3,32}$", required=False, allow_blank=True, max_length=32)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    persona = serializers.CharField(max_length=64, required=False, allow_blank=True)
    knowledge_level = serializers.ChoiceField(choices=KnowledgeLevel.choices, required=False)
    language = serializers.CharField(max_length=MAX_LANGUAGE, required=False, allow_blank=True,
                                     help_text="preferred language of survey emails and pages: en, tr, zh-Hans, pt-BR")

    def validate_language(self, value: str) -> str:
        # The surveys' rule: the invitation's language is resolved against survey texts with it.
        if value and (message := language_error(value)):
            raise serializers.ValidationError(message)
        return value

    def validate(self, attrs: dict) -> dict:
        if "email" in attrs:
            attrs["email"] = attrs["email"].strip().lower()
        return attrs
