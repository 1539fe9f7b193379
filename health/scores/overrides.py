"""Every write of CSM overrides (health.scores.models.HealthOverride; DESIGN.md: keyword-only, typed, atomic).

An override says "this account's score (or band) is really X, because ..." until an expiry. The computed
score rows are never touched: reads show the override beside them while it is in force. Every row stays:
the rows of an account are the audit (who set it and when, what, why, and how it ended).

Decisions:
- ``score`` 0-100 and/or ``band`` (a band name of the account's scorecard's current version); both may be
  given (the band wins on display; the score is kept as the CSM's figure). The reason is 1-1000 characters
  after trimming; the expiry lies in the future and at most 365 days ahead (an override may not outlive a
  yearly review unnoticed).
- A new override replaces the one in force (``replaced``, ended by the new one's author, at the same instant)
  in the same transaction; an open row already past its expiry is ended first as ``expired`` at its expiry,
  by nobody: it had ended by itself, whatever the sweep had not yet written.
- ``remove_override`` names the override the CSM saw: removing one that a colleague replaced or removed
  meanwhile is refused naming ``override``, so a stale page never removes another.
- The sweep ``end_expired_overrides`` writes ``ended_at`` = the expiry (when it ended), not the sweep's time.
"""

from __future__ import annotations

import datetime as dt
import math

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import CustomerAccount, Tenant
from health.scores.models import REASON_MAX, HealthOverride, OverrideEnd
from health.scores.selectors import bands_for_account

MAX_DAYS_AHEAD = 365


class OverrideError(ValueError):
    """Bad override input; ``field`` names what is wrong (a page or the API shows it as a 4xx)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _clean(*, tenant: Tenant, account: CustomerAccount, score: float | None, band: str, reason: str,
           expires_at: dt.datetime, now: dt.datetime) -> tuple[float | None, str, str]:
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                              or not math.isfinite(score) or not 0 <= score <= 100):
        raise OverrideError("a score from 0 to 100", "score")
    band = (band or "").strip()
    if band:
        bands = bands_for_account(tenant=tenant, account=account)
        if band not in bands:
            raise OverrideError(f"one of the scorecard's bands: {', '.join(bands)}", "band")
    if score is None and not band:
        raise OverrideError("give a score, a band, or both", "score")
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise OverrideError(f"a reason of 1 to {REASON_MAX} characters", "reason")
    if not isinstance(expires_at, dt.datetime) or timezone.is_naive(expires_at):
        raise OverrideError("a date and time with its time zone", "expires_at")
    if expires_at <= now:
        raise OverrideError("must lie in the future", "expires_at")
    if expires_at > now + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise OverrideError(f"at most {MAX_DAYS_AHEAD} days ahead", "expires_at")
    return (float(score) if score is not None else None), band, reason


def _end_open(*, tenant: Tenant, account: CustomerAccount, now: dt.datetime, by: AbstractBaseUser | None) -> None:
    """End the account's open row: expired at its expiry when that has passed, else replaced now by ``by``."""
    found = HealthOverride.objects.select_for_update().filter(tenant=tenant, account=account,
                                                              ended_at__isnull=True).first()
    if found is None:
        return
    if found.expires_at <= now:
        found.ended_at, found.ended_by, found.end_reason = found.expires_at, None, OverrideEnd.EXPIRED
    else:
        found.ended_at, found.ended_by, found.end_reason = now, by, OverrideEnd.REPLACED
    found.save(update_fields=["ended_at", "ended_by", "end_reason"])


def set_override(*, tenant: Tenant, account: CustomerAccount, score: float | None = None, band: str = "",
                 reason: str, expires_at: dt.datetime, by: AbstractBaseUser | None) -> HealthOverride:
    """A new override of the account's score and/or band, in force from now until ``expires_at``; the one in
    force before is ended (replaced) in the same transaction. Bad input: an OverrideError naming the field,
    nothing written."""
    now = timezone.now()
    score, band, reason = _clean(tenant=tenant, account=account, score=score, band=band, reason=reason,
                                 expires_at=expires_at, now=now)
    for attempt in range(2):  # two CSMs at once: the loser of the one-open-row constraint ends the winner's
        try:
            with transaction.atomic():
                _end_open(tenant=tenant, account=account, now=now, by=by)
                return HealthOverride.objects.create(tenant=tenant, account=account, score=score, band=band,
                                                     reason=reason, created_at=now, created_by=by,
                                                     expires_at=expires_at)
        except IntegrityError:
            if attempt:
                raise OverrideError("another override was set at the same moment; try again", "score") from None
            now = timezone.now()
    raise AssertionError("unreachable")


@transaction.atomic
def remove_override(*, tenant: Tenant, account: CustomerAccount, override_id: int,
                    by: AbstractBaseUser | None) -> HealthOverride:
    """End the account's override ``override_id`` now (``removed``, by ``by``). Refused, naming ``override``,
    when it is not the account's open one (replaced or removed meanwhile, or never this account's). One past
    its expiry had ended by itself: it is ended as ``expired`` at its expiry, and returned so (the caller
    tells the user it had already expired)."""
    now = timezone.now()
    found = HealthOverride.objects.select_for_update().filter(tenant=tenant, account=account, pk=override_id,
                                                              ended_at__isnull=True).first()
    if found is None:
        raise OverrideError("this override is no longer in force (replaced or ended meanwhile)", "override")
    if found.expires_at <= now:
        found.ended_at, found.end_reason = found.expires_at, OverrideEnd.EXPIRED
        found.save(update_fields=["ended_at", "end_reason"])
        return found
    found.ended_at, found.ended_by, found.end_reason = now, by, OverrideEnd.REMOVED
    found.save(update_fields=["ended_at", "ended_by", "end_reason"])
    return found


def end_expired_overrides(*, tenant: Tenant, now: dt.datetime | None = None) -> int:
    """The sweep: end every open override of the tenant whose expiry has passed (``expired`` at its expiry, by
    nobody). One statement; answers how many ended. A read never waits for it (reads check the expiry)."""
    now = now or timezone.now()
    return (HealthOverride.objects.filter(tenant=tenant, ended_at__isnull=True, expires_at__lte=now)
            .update(ended_at=F("expires_at"), end_reason=OverrideEnd.EXPIRED, ended_by=None))
