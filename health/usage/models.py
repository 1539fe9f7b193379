"""Product usage: daily rollups of usage events and the feature catalog.

The raw events live in a table partitioned by month (created by raw SQL in this app's migrations; see
``health/usage/services/ingest.py``). Everything the adoption metrics read comes from :class:`UsageDaily` plus the
batches staged in :class:`UsagePending` and not merged yet (the view ``health_usage_rollups``): a batch
counts as soon as its transaction commits, exactly once.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts.tenancy import TenantOwnedModel


class UsageDaily(TenantOwnedModel):
    """Events per (account, contact, local day, event name). ``day`` is the tenant's local date.

    Written only by the merge of ingested batches (``health/usage/services/rollups.py``: each batch stages its
    buckets in :class:`UsagePending` in the transaction that stores its events; readers see both through the view
    ``health_usage_rollups``), so its physical design is tuned for that write (measured in
    ``bench/ingest.py``, README "Benchmarks"):

    - **No database foreign keys.** Django's FKs are ``DEFERRABLE INITIALLY DEFERRED``: every new bucket
      cost three look-ups (tenant, account, contact) at commit, 10-17 ms of a 1,000-event batch, more
      than the COPY of the events. Ingestion writes only ids it has just resolved in the tenant in
      scope, and Django's deletion collector still cascades (``on_delete=CASCADE``) when a tenant,
      account or contact is deleted; the readers in ``health/usage/selectors/adoption.py`` and
      ``account_usage.py`` join contacts on ``(id, account, tenant)``, so a row whose contact vanished in a
      race is simply not counted.
    - **One index, the unique one.** Every selector filters by tenant and then account (or reads the
      whole tenant), which the unique ``(tenant, account, contact, day, event_name)`` index serves by its
      prefix; the former ``(tenant, account, day)``, ``(tenant, contact, day)`` and ``(tenant, day)``
      indexes and Django's single-column FK indexes only made each new bucket cost eight index
      insertions (with the primary key) instead of two. The per-contact
      readers filter by ``(tenant, account, contact)``, also a prefix. The price, chosen for the write
      path: Django's cascade when an account or contact is deleted (rare: offboarding, an erasure)
      filters by ``account_id``/``contact_id`` alone and so scans the table, as it already scans the
      events table (which has no such index either).
    """

    # db_constraint=False on the inherited tenant too: overriding the field is the only way to say so.
    # db_index=False: Django would give each FK its own single-column index (three more per new bucket).
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                               db_index=False)
    account = models.ForeignKey("accounts.CustomerAccount", on_delete=models.CASCADE, related_name="+",
                                db_constraint=False, db_index=False)
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False, db_index=False)
    day = models.DateField()
    event_name = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "usage daily rollup"
        verbose_name_plural = "usage daily rollups"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "contact", "day", "event_name"],
                name="usagedaily_unique_bucket",
                nulls_distinct=False,  # events without a contact share one bucket per account
            ),
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
        verbose_name_plural = "catalog entries"
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
    # No index of its own either (db_index=False): the primary key starts with tenant.
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                               db_index=False)
    # The primary key is the uniqueness rule; it starts with tenant like every constraint (DESIGN.md).
    pk = models.CompositePrimaryKey("tenant", "event_id")
    # Byte order ("C"): the key is only ever compared for equality, which is the same in every deterministic
    # collation, and the database default ("C.UTF-8") goes through strcoll on every comparison of the
    # primary-key btree (~12% of the key insert, the largest single cost of ingestion).
    event_id = models.CharField(max_length=200, db_collation="C")


class UsageEvent(TenantOwnedModel):
    """One raw usage event, for reads. The table is created by raw SQL (migration 0002): it is
    ``PARTITION BY RANGE (occurred_at)``, one partition per UTC month (``health/usage/services/partitions.py``), which
    Django cannot declare. Writes go through ``health.usage.services.ingest.ingest_events`` only.

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


class UsagePending(TenantOwnedModel):
    """One ingested batch's contribution to the daily rollups and to its contacts' seen times, waiting to
    be folded into :class:`UsageDaily` and ``Contact.first_seen_at``/``last_seen_at`` (the outbox of
    ``health/usage/services/ingest.py``).

    Written in the transaction that stores the batch's events, so a batch is staged exactly when its events
    are stored; :func:`health.usage.services.rollups.merge_pending_usage` folds staged batches in and deletes
    them in one transaction, so a batch is counted exactly once. Readers see ``UsageDaily`` plus what is staged through
    the view ``health_usage_rollups`` (migration 0005).

    One row per batch, its buckets as parallel arrays (bucket ``i`` is ``(account_ids[i], contact_ids[i],
    days[i], event_names[i])`` with ``counts[i]`` events): a 1,000-event batch costs one tuple and one index
    entry here instead of up to 1,000 rollup upserts and ~900 contact updates inside the request.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                               db_index=False)
    pk = models.CompositePrimaryKey("tenant", "batch_id")
    batch_id = models.UUIDField()
    created_at = models.DateTimeField()
    events = models.PositiveIntegerField()
    account_ids = ArrayField(models.BigIntegerField())
    contact_ids = ArrayField(models.BigIntegerField(null=True))
    days = ArrayField(models.DateField())
    event_names = ArrayField(models.TextField())
    counts = ArrayField(models.IntegerField())
    seen_contact_ids = ArrayField(models.BigIntegerField())
    seen_first = ArrayField(models.DateTimeField())
    seen_last = ArrayField(models.DateTimeField())
