"""An account's health standing as of a local day, as the API and the account health page show it: the score
row of that day (stored, or computed live when none is stored), the CSM override in force, and the
explanation of the change over 7 and 30 days. Reads only: nothing here writes a row.

Decisions (documented in the API's schema):
- No day asked (``as_of`` None): the account's latest stored row, whatever its day (``day`` says which), and
  the override in force *now*; nothing stored yet: null score fields, as before (never a live computation
  the caller did not ask for).
- A day asked: that day's stored row; when none is stored (a day before the first recompute, a gap in the
  nightly runs) the score is computed live from ``inputs_as_of`` + ``compute`` with the scorecard that applies
  to the account today (``source = "live"``; not stored: a recompute job stores it). The override is the one
  in force at the end of that local day, or now when the day is today.
- The changes end at the row's day; a start day without a stored row has no explanation (null delta and
  parts, and the reason), since a live score of every start day would cost a computation each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import CustomerAccount, Tenant
from accounts.selectors import tenant_today
from health.scores import selectors
from health.scores.compute import categories_of, compute
from health.scores.definitions import default_definition
from health.scores.explain import SPANS, Day, Explanation, explain_spans
from health.scores.inputs import inputs_as_of, local_bounds
from health.scores.models import HealthOverride, HealthScore
from health.scores.scoring import band as band_of

STORED, LIVE = "stored", "live"


@dataclass(frozen=True)
class Row:
    """A day's score fields, stored or live (``version`` None: the default definition, no scorecard yet)."""

    day: dt.date
    score: float | None
    band: str
    confidence: float
    components: list[dict]
    scorecard: str
    version: int | None
    bands: dict[str, float]
    source: str


@dataclass(frozen=True)
class Standing:
    as_of: dt.date
    row: Row | None
    override: HealthOverride | None
    override_band: str  # the override's band, or the band of its score under the row's (or account's) bands
    changes: dict[int, Explanation] = field(default_factory=dict)


def stored_row(found: HealthScore) -> Row:
    return Row(found.day, found.score, found.band, found.confidence, found.components,
               found.version.scorecard.name, found.version.number, found.version.definition["bands"], STORED)


def live_row(*, tenant: Tenant, account: CustomerAccount, day: dt.date) -> Row:
    """The score of ``day`` computed now from the data up to that day's end, not stored."""
    cards = selectors.scorecards_in_order(tenant=tenant)
    categories = sorted(set().union(*(categories_of(c.current_version.definition) for c in cards)))
    inputs = inputs_as_of(tenant=tenant, day=day, account_ids=[account.pk], categories=categories)[account.pk]
    card = selectors.pick_scorecard(cards, lifecycle_stage=inputs.lifecycle_stage, tier=inputs.tier)
    definition = card.current_version.definition if card else default_definition()
    result = compute(inputs, definition)
    return Row(day, result.score, result.band, result.confidence, result.components,
               card.name if card else "Default", card.current_version.number if card else None,
               definition["bands"], LIVE)


def override_instant(tenant: Tenant, as_of: dt.date | None) -> dt.datetime:
    """Now for today (or no day), else the last instant of the local day ``as_of``."""
    if as_of is None or as_of >= tenant_today(tenant):
        return timezone.now()
    return local_bounds(tenant, as_of, as_of)[1] - dt.timedelta(microseconds=1)


def standing(*, tenant: Tenant, account: CustomerAccount, as_of: dt.date | None,
             spans: tuple[int, ...] = SPANS) -> Standing:
    if as_of is None:
        found = selectors.latest_score(tenant=tenant, account=account)
    else:
        found = selectors.score_of_day(tenant=tenant, account=account, day=as_of)
    row = stored_row(found) if found else (live_row(tenant=tenant, account=account, day=as_of) if as_of else None)
    override = selectors.override_in_force(tenant=tenant, account=account, at=override_instant(tenant, as_of))
    override_band = ""
    if override is not None:
        bands = row.bands if row else selectors.bands_for_account(tenant=tenant, account=account)
        override_band = override.band or band_of(override.score, bands) or ""
    changes = {}
    if row is not None:
        end_row = Day(row.day, row.score, row.components) if row.source == LIVE else None
        changes = explain_spans(tenant=tenant, account=account, end=row.day, spans=spans, end_row=end_row)
    return Standing(as_of or tenant_today(tenant), row, override, override_band, changes)
