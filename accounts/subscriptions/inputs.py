"""Validation of subscription period items (``POST /api/v1/subscriptions/bulk``, API.md).

``starts_at``/``ends_at`` take a date (``YYYY-MM-DD``: the tenant's local midnight of that day, resolved by
the service, which knows the tenant's zone) or an ISO 8601 timestamp with an offset; both inside
cs_platform.bounds' window. ``arr`` has at most 2 decimals, from 0 to 999,999,999,999.99; ``seats`` from 0 to
10,000,000.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.subscriptions.models import PLAN_MAX, PeriodKind
from cs_platform.api.serializers import BoundedDate, ExternalIdField, OffsetDateTimeField, StrictSerializer

MAX_SEATS = 10_000_000
MAX_ARR = Decimal("999999999999.99")
MAX_ITEMS = 5_000
DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@extend_schema_field(OpenApiTypes.STR)
class DateOrTimestamp(serializers.Field):
    """A date (the tenant's local midnight) or a timestamp with an offset: a ``date`` or an aware
    ``datetime`` comes out; the service turns a date into the instant."""

    def to_internal_value(self, data: Any) -> dt.date | dt.datetime:
        if isinstance(data, str) and DATE_ONLY.fullmatch(data):
            return BoundedDate().run_validation(data)
        return OffsetDateTimeField().run_validation(data)

    def to_representation(self, value: Any) -> str:
        return value.isoformat()


class SubscriptionItem(StrictSerializer):
    external_id = ExternalIdField()
    account = serializers.CharField(max_length=128, help_text="the account's external_id")
    starts_at = DateOrTimestamp(help_text="first instant; a date means the tenant's local midnight")
    ends_at = DateOrTimestamp(help_text="exclusive end; a date means the tenant's local midnight")
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), max_value=MAX_ARR)
    seats = serializers.IntegerField(min_value=0, max_value=MAX_SEATS)
    plan = serializers.CharField(max_length=PLAN_MAX, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PeriodKind.choices, required=False, allow_blank=True,
                                   help_text="derived from the account's earlier periods when omitted")
