"""The API's input shapes of surveys and responses (API.md): strict serializers (an unknown field is an
error), every string bounded, NUL refused (DRF's CharField), times inside cs_platform.bounds' window."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cs_platform.api.serializers import MAX_EXTERNAL_ID, ExternalIdField, OffsetDateTimeField, StrictSerializer
from surveys.languages import MAX_LANGUAGE, language_error
from surveys.models import (
    COLOUR_RE,
    MAX_COMMENT,
    MAX_DELAY_HOURS,
    MAX_NAME,
    MAX_QUESTION,
    MAX_TEXT,
)
from surveys.scales import Kind

MAX_TEXTS = 20  # languages per survey: a bounded form and body


def _language(value: str) -> str:
    if message := language_error(value):
        raise serializers.ValidationError(message)
    return value


class LanguageField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_LANGUAGE)
        kwargs.setdefault("help_text", "a language code such as en, tr or pt-BR")
        super().__init__(**kwargs)
        self.validators.append(_language)


class SurveyTextInput(StrictSerializer):
    language = LanguageField()
    question = serializers.CharField(max_length=MAX_QUESTION)
    followup_low = serializers.CharField(max_length=MAX_QUESTION, required=False, allow_blank=True, default="",
                                         help_text="asked after an NPS detractor or a low CSAT/CES score")
    followup_mid = serializers.CharField(max_length=MAX_QUESTION, required=False, allow_blank=True, default="",
                                         help_text="asked after an NPS passive or a neutral CSAT/CES score")
    followup_high = serializers.CharField(max_length=MAX_QUESTION, required=False, allow_blank=True, default="",
                                          help_text="asked after an NPS promoter or a high CSAT/CES score")
    thank_you = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class SurveyInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField(max_length=MAX_NAME)
    texts = SurveyTextInput(many=True, min_length=1, max_length=MAX_TEXTS,
                            help_text="one per language; the default language must be among them")
    default_language = LanguageField(required=False, default="en")
    delay_hours = serializers.IntegerField(min_value=0, max_value=MAX_DELAY_HOURS, required=False, default=24)
    is_active = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, default=False,
                                          help_text="make it the tenant's default survey of its kind")
    brand_colour = serializers.RegexField(COLOUR_RE, max_length=7, required=False, default="#1f6feb",
                                          help_text="#rrggbb")

    def validate(self, attrs: dict) -> dict:
        languages = [t["language"].lower() for t in attrs["texts"]]
        if len(set(languages)) != len(languages):
            raise serializers.ValidationError({"texts": ["one text per language"]})
        if attrs["default_language"].lower() not in languages:
            raise serializers.ValidationError({"default_language": ["must be the language of one of the texts"]})
        return attrs


class ResponseItem(StrictSerializer):
    survey = serializers.CharField(max_length=20, help_text="a survey id, or csat/nps/ces: the tenant's default "
                                                            "survey of that kind (created on first use)")
    contact = serializers.CharField(max_length=MAX_EXTERNAL_ID, help_text="the contact's external_id")
    score = serializers.IntegerField(min_value=0, max_value=10,
                                     help_text="on the survey's scale: CSAT 1-5, NPS 0-10, CES 1-7")
    comment = serializers.CharField(max_length=MAX_COMMENT, required=False, allow_blank=True, default="")
    followup_answer = serializers.CharField(max_length=MAX_COMMENT, required=False, allow_blank=True, default="")
    submitted_at = OffsetDateTimeField(required=False, help_text="default: when the request arrives")
    ticket = serializers.CharField(max_length=MAX_EXTERNAL_ID, required=False, allow_null=True,
                                   help_text="the ticket's external_id")
    language = LanguageField(required=False, allow_blank=True, default="")
    external_id = ExternalIdField(required=False, allow_null=True,
                                  help_text="idempotency key: a repeat with the same values is a duplicate, "
                                            "with other values it updates the response")

