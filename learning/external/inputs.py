"""Input shapes of the learning API (API.md ``POST /learning/completions``): strict (an unknown field is an
error), every string bounded, times inside cs_platform.bounds' window and not in the future."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from cs_platform.api.serializers import MAX_EXTERNAL_ID, OffsetDateTimeField, StrictSerializer
from learning.models import MAX_SLUG, MAX_STEP_KEY

# An LMS's clock may run a little ahead of ours; a completion further in the future is a wrong date.
FUTURE_SKEW = dt.timedelta(minutes=15)


class CompletionItem(StrictSerializer):
    requires_one_of = ("path", "step")

    contact = serializers.CharField(max_length=MAX_EXTERNAL_ID, help_text="the contact's external_id")
    path = serializers.CharField(max_length=MAX_SLUG, required=False,
                                 help_text="the path's slug or id; alone: the whole path was completed")
    step = serializers.CharField(max_length=MAX_STEP_KEY, required=False,
                                 help_text="with `path`: the step's key; without: a step id")
    completed_at = OffsetDateTimeField(help_text="when the learner completed it (not in the future)")
    score = serializers.IntegerField(min_value=0, max_value=100, required=False,
                                     help_text="the LMS's score in percent, kept as evidence")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("path") and not attrs.get("step"):
            raise serializers.ValidationError({"path": ["give `path` (a path completed) or `step` (a step of it)"]})
        if not attrs.get("path") and not attrs["step"].isdigit():
            raise serializers.ValidationError({"step": ["without `path`, a step id (digits); or give `path` and "
                                                        "the step's key"]})
        if attrs["completed_at"] > timezone.now() + FUTURE_SKEW:
            raise serializers.ValidationError({"completed_at": ["must not be in the future"]})
        return attrs
