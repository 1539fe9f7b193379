"""Celery tasks of the health app: thin, taking ``(tenant_id, ...)`` and calling a service (DESIGN.md rule 5).

Cross-tenant tasks take no arguments: they either fan out one task per tenant or maintain the shared
partitioned events table, whose partitions belong to no single tenant.
"""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from health.usage.services import retention as services
from health.usage.services import rollups


@shared_task(name="health.tasks.create_usage_partitions")
def create_usage_partitions() -> list[str]:
    """This month's and the next two months' event partitions, created ahead of the events."""
    return services.create_usage_partitions()


@shared_task(name="health.tasks.enforce_usage_retention")
def enforce_usage_retention() -> int:
    """Fan out one retention purge per tenant, so each runs in its own scope."""
    return fan_out_per_tenant(purge_usage_events)


@shared_task(name="health.tasks.purge_usage_events")
@tenant_task
def purge_usage_events(tenant_id: int) -> int:
    return services.purge_expired_usage_events(tenant=current_tenant())


@shared_task(name="health.tasks.drop_expired_usage_partitions")
def drop_expired_usage_partitions() -> list[str]:
    """Drop event partitions emptied by every tenant's retention (runs after the purges)."""
    return services.drop_expired_usage_partitions()


@shared_task(name="health.tasks.merge_usage_rollups")
@tenant_task
def merge_usage_rollups(tenant_id: int) -> int:
    """Fold the tenant's staged ingestion batches into the daily rollups (``health.usage.services.rollups``);
    answers how many batches were folded. Enqueued by ingestion after its commit; safe to run twice or concurrently."""
    return rollups.merge_pending_usage(tenant=current_tenant()).batches


@shared_task(name="health.tasks.merge_all_usage_rollups")
def merge_all_usage_rollups() -> int:
    """Safety net for a merge whose enqueue failed (broker down): one merge per tenant."""
    return fan_out_per_tenant(merge_usage_rollups)
