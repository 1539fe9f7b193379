"""Product usage: daily rollups of usage events and the feature catalog.

The raw events live in a table partitioned by month (created by raw SQL in this app's migrations; see
``health/ingest.py``). Everything the adoption metrics read comes from :class:`UsageDaily`, kept in
step with ingestion in the same transaction.
"""

from __future__ import annotations

from django.db import models

from accounts.tenancy import TenantOwnedModel


class UsageDaily(TenantOwnedModel):
    """Events per (account, contact, local day, event name). ``day`` is the tenant's local date."""

    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    event_name = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "contact", "day", "event_name"],
                name="usagedaily_unique_bucket",
                nulls_distinct=False,  # events without a contact share one bucket per account
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "day"], name="usagedaily_account_day"),
            models.Index(fields=["tenant", "contact", "day"], name="usagedaily_contact_day"),
            models.Index(fields=["tenant", "day"], name="usagedaily_tenant_day"),
        ]


class CatalogEntry(TenantOwnedModel):
    """What an event name means: the feature it belongs to, and whether reaching it is a value milestone.

    Several event names may belong to one feature; breadth counts distinct features.
    """

    event_name = models.CharField(max_length=200)
    feature = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True)
    is_value_milestone = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_name"], name="catalogentry_unique_event"),
        ]
        indexes = [models.Index(fields=["tenant", "feature"], name="catalogentry_feature")]

    def __str__(self) -> str:
        return f"{self.event_name} -> {self.feature}"


class UsageEventKey(TenantOwnedModel):
    """The idempotency key of every stored usage event: ``(tenant, event_id)``.

    The events table is partitioned by ``occurred_at``, and a unique index on a partitioned table must
    contain the partition key, so it cannot say "one event_id per tenant" across months. This small table
    can: ingestion inserts here first (``ON CONFLICT DO NOTHING``) and stores only the events whose key
    was new. Keys are kept when retention deletes old events, for as long as the rollups that counted
    those events: a late retry of an old batch must not be counted twice.
    """

    # No database foreign key: Django's FKs are DEFERRABLE INITIALLY DEFERRED, so every key inserted costs
    # one check of the tenant row at commit (~4 ms of a 1,000-event batch). Ingestion writes keys only
    # for the tenant in scope, and deleting a tenant removes its keys through Django's cascade.
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # The primary key is the uniqueness rule; it starts with tenant like every constraint (DESIGN.md).
    pk = models.CompositePrimaryKey("tenant", "event_id")
    event_id = models.CharField(max_length=200)


class UsageEvent(TenantOwnedModel):
    """One raw usage event, for reads. The table is created by raw SQL (migration 0002): it is
    ``PARTITION BY RANGE (occurred_at)``, one partition per UTC month (``health/partitions.py``), which
    Django cannot declare. Writes go through ``health.services.ingest_events`` only.

    Deleting an account or contact deletes its events through Django's cascade (the partitioned table has
    no foreign keys: their per-row checks would cost more than the whole COPY).
    """

    pk = models.CompositePrimaryKey("tenant", "event_id")  # unique through UsageEventKey
    occurred_at = models.DateTimeField()
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    contact = models.ForeignKey("accounts.Contact", null=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    event_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    properties = models.JSONField(default=dict)

    class Meta:
        managed = False
        db_table = "health_usage_event"
        indexes = [models.Index(fields=["tenant", "occurred_at"], name="usage_event_tenant_time")]
