"""Every write of the learning app (DESIGN.md: keyword-only, typed, atomic)."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import Tenant


def enroll_new_contacts(*, tenant: Tenant, contact_ids: Sequence[int]) -> int:
    """Continuous onboarding (DESIGN.md "Data that flows"): enroll contacts that just became known in the
    learning paths whose targeting rules match them; answers how many enrollments were made.

    Called by ``accounts.services.contacts`` only, which creates every contact whatever its source (API
    bulk, CSV import, demo seed, contact page and admin, ticket identity, first usage event): once per
    write, with exactly the contacts that write created (sorted ids; never an updated or duplicate one),
    after that write's transaction has committed, inside the tenant's scope. Its own writes are
    therefore its own transaction; work that may fail or take long belongs in a Celery task enqueued
    from here (a failure is logged, not retried, and never undoes the contacts). Until the learning issue
    brings paths and targeting rules there is nothing to enroll in, so this is deliberately a no-op.
    """
    return 0
