"""Every write of the learning app (DESIGN.md: keyword-only, typed, atomic)."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import Tenant


def enroll_new_contacts(*, tenant: Tenant, contact_ids: Sequence[int]) -> int:
    """Continuous onboarding (DESIGN.md "Data that flows"): enroll contacts that just became known in the
    learning paths whose targeting rules match them; answers how many enrollments were made.

    Called by every path that creates contacts in bulk (so far: usage-event ingestion, with exactly the
    contacts that batch created, inside its transaction). Until the learning issue brings paths and
    targeting rules there is nothing to enroll in, so this is deliberately a no-op.
    """
    return 0
