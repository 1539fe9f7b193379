"""Reads of scorecards (which one applies to an account: first match by priority, else the default) and of
the score rows the API answers with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounts.models import CustomerAccount, Tenant
from health.scores.models import HealthScore, Scorecard


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


def _scores(tenant: Tenant, account: CustomerAccount):
    return HealthScore.objects.filter(tenant=tenant, account=account)


def latest_score(*, tenant: Tenant, account: CustomerAccount) -> HealthScore | None:
    """The account's score row of its latest day, with its scorecard version and scorecard (one query)."""
    return _scores(tenant, account).select_related("version__scorecard").order_by("-day").first()


def score_trend(*, tenant: Tenant, account: CustomerAccount, start: dt.date, end: dt.date) -> list[dict]:
    """``{"day", "score", "band"}`` of the account's rows from ``start`` to ``end`` (both included), by day."""
    return list(_scores(tenant, account).filter(day__gte=start, day__lte=end).order_by("day")
                .values("day", "score", "band"))


def score_history(*, tenant: Tenant, account: CustomerAccount, start: dt.date, end: dt.date) -> list[HealthScore]:
    """The account's full rows from ``start`` to ``end`` (both included), by day, with their versions."""
    return list(_scores(tenant, account).filter(day__gte=start, day__lte=end)
                .select_related("version__scorecard").order_by("day"))
