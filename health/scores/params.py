"""Parsing of the health API's input (POST /health/recompute's body, the history's query): local days and
their range, the accounts by external id. Every refusal is a 400 naming the field.

Decisions where API.md is silent: ``to`` defaults to today local and ``from`` to ``to`` (a POST without
dates recomputes today); a recompute may not reach past today (a score of a day that has not ended yet
is today's, computed again tonight, and a future day has no data); both ranges hold at most 366 days,
both ends included (a leap year of history per request; a longer backfill is several jobs)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rest_framework import exceptions, serializers

from accounts.models import Tenant
from accounts.selectors import account_ids_by_external_id
from cs_platform.api.serializers import BoundedDate, StrictSerializer
from cs_platform.bulk import MAX_BATCH

MAX_RANGE_DAYS = 366
HISTORY_DEFAULT_DAYS = 30


class LocalDay(BoundedDate):
    """Exactly YYYY-MM-DD: Django's parser also takes ``2026-1-1``, which API.md does not promise."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class RecomputeInput(StrictSerializer):
    accounts = serializers.ListField(
        child=serializers.CharField(max_length=128), max_length=MAX_BATCH, required=False,
        help_text=f"external ids of the accounts to recompute, at most {MAX_BATCH}; all accounts when omitted")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # ``from`` is a Python keyword: added here, not as a class attribute
        fields["from"] = LocalDay(required=False, help_text="first local day (YYYY-MM-DD); default: `to`")
        fields["to"] = LocalDay(required=False, help_text="last local day (YYYY-MM-DD); default: today local")
        return fields


def check_range(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise exceptions.ValidationError({"from": ["must not be after `to`"]})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise exceptions.ValidationError({"to": [f"at most {MAX_RANGE_DAYS} days from `from`, both included"]})


def recompute_request(data: Any, *, tenant: Tenant, today: dt.date) -> tuple[list[dt.date], list[int] | None]:
    """The local days and account pks (None: all) a recompute body asks for."""
    body = RecomputeInput(data=data if data else {})
    body.is_valid(raise_exception=True)
    values = body.validated_data
    for name in ("from", "to"):
        if values.get(name) and values[name] > today:
            raise exceptions.ValidationError({name: [f"must not be after today ({today.isoformat()}, local)"]})
    end = values.get("to") or today
    start = values.get("from") or end
    check_range(start, end)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    if "accounts" not in values:
        return days, None
    found = account_ids_by_external_id(tenant=tenant, external_ids=values["accounts"])
    unknown = {index: [f"no such account: {external_id}"] for index, external_id in enumerate(values["accounts"])
               if external_id not in found}
    if unknown:
        raise exceptions.ValidationError({"accounts": unknown})
    return days, [found[external_id] for external_id in values["accounts"]]


def _day_param(params: Any, name: str) -> dt.date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return LocalDay().run_validation(raw)
    except serializers.ValidationError as error:
        raise exceptions.ValidationError({name: error.detail}) from None


def history_range(params: Any, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """``from``/``to`` of the history's query: by default the 30 days ending ``to`` (default today local)."""
    end = _day_param(params, "to") or today
    start = _day_param(params, "from") or end - dt.timedelta(days=HISTORY_DEFAULT_DAYS - 1)
    check_range(start, end)
    return start, end


def as_of_param(params: Any, *, today: dt.date) -> dt.date | None:
    """``as_of`` of the health query: a local day YYYY-MM-DD from 2000-01-01 to today; None when omitted."""
    day = _day_param(params, "as_of")
    if day is not None and day > today:
        raise exceptions.ValidationError({"as_of": [f"must not be after today ({today.isoformat()}, local)"]})
    return day
