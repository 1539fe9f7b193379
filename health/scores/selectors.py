"""Reads of scorecards: which one applies to an account (first match by priority, else the default)."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import Tenant
from health.scores.models import Scorecard


def scorecards_in_order(*, tenant: Tenant) -> list[Scorecard]:
    """The tenant's scorecards with their current versions, in the order they are tried (one query)."""
    return list(Scorecard.objects.filter(tenant=tenant, current_version__isnull=False)
                .select_related("current_version").order_by("is_default", "priority", "pk"))


def pick_scorecard(scorecards: Sequence[Scorecard], *, lifecycle_stage: str, tier: str) -> Scorecard | None:
    """The first non-default scorecard whose stages and tiers (each empty = any) hold the account's, else the
    default; pure, so a recompute picks for many accounts from one read."""
    stage, tier = (lifecycle_stage or "").strip().casefold(), (tier or "").strip().casefold()
    default = None
    for card in scorecards:
        if card.is_default:
            default = default or card
            continue
        if (not card.lifecycle_stages or stage in card.lifecycle_stages) and (not card.tiers or tier in card.tiers):
            return card
    return default
