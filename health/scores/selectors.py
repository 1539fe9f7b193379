"""Reads of scorecards (which one applies to an account: first match by priority, else the default), of
the score rows the API answers with, and of the CSM overrides (the one in force at an instant, the history)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q

from accounts.models import CustomerAccount, Tenant
from health.scores.definitions import DEFAULT_BANDS
from health.scores.models import HealthOverride, HealthScore, Scorecard

OVERRIDE_HISTORY = 100


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


def score_of_day(*, tenant: Tenant, account: CustomerAccount, day: dt.date) -> HealthScore | None:
    """The account's stored row of ``day``, with its scorecard version and scorecard (one query)."""
    return _scores(tenant, account).select_related("version__scorecard").filter(day=day).first()


def score_trend(*, tenant: Tenant, account: CustomerAccount, start: dt.date, end: dt.date) -> list[dict]:
    """``{"day", "score", "band"}`` of the account's rows from ``start`` to ``end`` (both included), by day."""
    return list(_scores(tenant, account).filter(day__gte=start, day__lte=end).order_by("day")
                .values("day", "score", "band"))


def score_history(*, tenant: Tenant, account: CustomerAccount, start: dt.date, end: dt.date) -> list[HealthScore]:
    """The account's full rows from ``start`` to ``end`` (both included), by day, with their versions."""
    return list(_scores(tenant, account).filter(day__gte=start, day__lte=end)
                .select_related("version__scorecard").order_by("day"))


def scorecard_for_account(*, tenant: Tenant, account: CustomerAccount) -> Scorecard | None:
    """The scorecard that applies to the account now (None before the tenant's first recompute made one)."""
    return pick_scorecard(scorecards_in_order(tenant=tenant), lifecycle_stage=account.lifecycle_stage,
                          tier=account.tier)


def bands_for_account(*, tenant: Tenant, account: CustomerAccount) -> dict[str, float]:
    """The band edges of the account's scorecard's current version (the defaults a first recompute would use
    while the tenant has no scorecard yet)."""
    card = scorecard_for_account(tenant=tenant, account=account)
    return dict(card.current_version.definition["bands"]) if card else dict(DEFAULT_BANDS)


# --- overrides (health.scores.overrides writes them) ---------------------------------------------------------

def _overrides(tenant: Tenant, account: CustomerAccount):
    return HealthOverride.objects.filter(tenant=tenant, account=account).select_related("created_by", "ended_by")


def override_in_force(*, tenant: Tenant, account: CustomerAccount, at: dt.datetime) -> HealthOverride | None:
    """The override in force at the instant ``at``: created by then, not yet expired, not ended by then. An
    open row whose expiry has passed is not in force even before the sweep ends it (it ended by itself)."""
    return (_overrides(tenant, account).filter(created_at__lte=at, expires_at__gt=at)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at)).order_by("-created_at", "-pk").first())


def override_history(*, tenant: Tenant, account: CustomerAccount,
                     limit: int = OVERRIDE_HISTORY) -> list[HealthOverride]:
    """The account's overrides, newest first (the audit: who, when, what, why, how it ended), in one query."""
    return list(_overrides(tenant, account).order_by("-created_at", "-pk")[:limit])


def open_override(*, tenant: Tenant, account: CustomerAccount) -> HealthOverride | None:
    """The account's one row without an end (possibly past its expiry, until the sweep runs)."""
    return _overrides(tenant, account).filter(ended_at__isnull=True).first()
