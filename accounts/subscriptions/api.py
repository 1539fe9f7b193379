"""``POST /api/v1/subscriptions/bulk`` (API.md): the bulk upsert base with this endpoint's own batch size
(5,000 periods; the body's 1 MB limit still holds: a compact period is ~150 bytes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.subscriptions.inputs import MAX_ITEMS, SubscriptionItem
from accounts.subscriptions.services import upsert_subscriptions
from cs_platform.api import schema as api_schema
from cs_platform.api.views import BulkUpsertView


@extend_schema_view(post=extend_schema(
    summary="Upsert subscription periods by external_id",
    description=(f"A JSON array (or NDJSON) of at most {MAX_ITEMS:,} periods and 1 MB: `account` (external id), "
                 "`starts_at`, `ends_at` (exclusive), each a date (the tenant's local midnight) or a timestamp "
                 "with an offset, `arr` (0 to 999,999,999,999.99, 2 decimals), `seats` (0 to 10,000,000), "
                 "optional `plan` and `kind`. Idempotent: an item equal to the stored row is a duplicate. "
                 "Every valid item is written; each invalid one is listed under `rejected` by its index."),
    request={"application/json": SubscriptionItem(many=True), "application/x-ndjson": SubscriptionItem},
    responses={200: api_schema.BulkResultSerializer, **api_schema.BULK_ERRORS},
))
class SubscriptionBulkView(BulkUpsertView):
    upsert = staticmethod(upsert_subscriptions)
    max_items = MAX_ITEMS
