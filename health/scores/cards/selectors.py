"""Reads of the scorecard pages: the list with how many accounts each scorecard applies to now, the versions
with what changed, and the preview of an edit on current data (which accounts would change band).

Which scorecard applies is decided per ``(lifecycle stage, tier)`` pair (accounts.selectors.account_segments),
never per account: the tenant's pairs are few, its accounts may be 100,000. The preview then computes, for at
most ``PREVIEW_MAX_ACCOUNTS`` of the accounts the edited scorecard would apply to (lowest ids first; the page
says so when it caps), today's inputs (health.scores.inputs.inputs_as_of, set-based) with the edited
definition, and compares them with each account's latest stored score.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from accounts.models import CustomerAccount, Tenant
from accounts.selectors import account_ids_in_segments, account_segments, accounts_by_id, tenant_today
from health.scores.components import COMPONENTS
from health.scores.compute import categories_of, compute
from health.scores.inputs import inputs_as_of
from health.scores.models import HealthScore, Scorecard, ScorecardVersion
from health.scores.selectors import pick_scorecard, scorecards_in_order
from health.scores.services import ScorecardData

PREVIEW_MAX_ACCOUNTS = 2_000
PREVIEW_MAX_ROWS = 100  # band changes listed (all are counted)
MAX_VERSIONS_SHOWN = 50

DEFINITIONS = {
    "accounts_now": "Accounts this scorecard applies to today: those whose lifecycle stage and tier it matches "
                    "(an empty list matches any), unless a scorecard of lower priority number matches first; the "
                    "default one takes every account no other matches.",
    "preview_accounts": f"The accounts the edited scorecard would apply to, scored as of today from data up to "
                        f"now with the edited definition (at most {PREVIEW_MAX_ACCOUNTS:,}, lowest ids first).",
    "band_changes": "Accounts whose band under the edited definition differs from the band of their latest stored "
                    "score (whatever scorecard computed it).",
    "unscored": "Accounts without a stored score yet, or whose edited score has no data (no component had data).",
    "confidence": "Share of the scorecard's weight whose component had data (METRICS.md \"Health\").",
}


@dataclass(frozen=True)
class CardRow:
    scorecard: Scorecard
    accounts: int


def scorecard_rows(*, tenant: Tenant) -> list[CardRow]:
    """Every scorecard in the order they are tried, with the accounts it applies to now (two queries)."""
    cards = scorecards_in_order(tenant=tenant)
    counts: Counter[int] = Counter()
    for stage, tier, n in account_segments(tenant=tenant):
        picked = pick_scorecard(cards, lifecycle_stage=stage, tier=tier)
        if picked is not None:
            counts[picked.pk] += n
    return [CardRow(card, counts[card.pk]) for card in cards]


def _describe_changes(before: dict | None, after: dict) -> list[str]:
    if before is None:
        return ["first version"]
    old = {(c["key"], c["category"]): c for c in before["components"]}
    new = {(c["key"], c["category"]): c for c in after["components"]}
    changes = []
    for pair in new.keys() - old.keys():
        changes.append(f"added {_label(pair)} (weight {new[pair]['weight']:g})")
    for pair in old.keys() - new.keys():
        changes.append(f"removed {_label(pair)}")
    for pair in new.keys() & old.keys():
        if new[pair]["weight"] != old[pair]["weight"]:
            changes.append(f"{_label(pair)} weight {old[pair]['weight']:g} → {new[pair]['weight']:g}")
        if new[pair]["mapping"] != old[pair]["mapping"]:
            changes.append(f"{_label(pair)} mapping changed")
    if before["bands"] != after["bands"]:
        changes.append("bands " + ", ".join(f"{k} ≥ {v:g}" for k, v in after["bands"].items()))
    return sorted(changes) or ["no change of definition"]


def _label(pair: tuple[str, str]) -> str:
    key, category = pair
    label = COMPONENTS[key].label if key in COMPONENTS else key
    return f"{label} ({category})" if category else label


@dataclass(frozen=True)
class VersionRow:
    version: ScorecardVersion
    changes: list[str]


def version_rows(*, tenant: Tenant, scorecard: Scorecard) -> list[VersionRow]:
    """The scorecard's latest versions, newest first, each with who made it and what changed from the one
    before (one query; ``MAX_VERSIONS_SHOWN`` + 1 rows, the extra one only to describe the oldest shown)."""
    versions = list(ScorecardVersion.objects.filter(tenant=tenant, scorecard=scorecard).select_related("created_by")
                    .order_by("-number")[:MAX_VERSIONS_SHOWN + 1])
    rows = []
    for i, version in enumerate(versions[:MAX_VERSIONS_SHOWN]):
        before = versions[i + 1].definition if i + 1 < len(versions) else None
        if before is None and version.number > 1:
            rows.append(VersionRow(version, ["(older versions not shown)"]))
            continue
        rows.append(VersionRow(version, _describe_changes(before, version.definition)))
    return rows


@dataclass(frozen=True)
class BandChange:
    account: CustomerAccount
    band_before: str
    band_after: str
    score_before: float | None
    score_after: float | None
    confidence_after: float


@dataclass
class Preview:
    day: dt.date
    accounts: int  # previewed
    capped: bool  # more accounts match than were previewed
    band_changes: int = 0
    unscored: int = 0
    mean_before: float | None = None
    mean_after: float | None = None
    bands_after: dict[str, int] = field(default_factory=dict)
    rows: list[BandChange] = field(default_factory=list)


def _edited_card(scorecard: Scorecard | None, data: ScorecardData) -> Scorecard:
    card = Scorecard(pk=scorecard.pk if scorecard else None, name=data.name, priority=data.priority,
                     is_default=scorecard.is_default if scorecard else False,
                     lifecycle_stages=list(data.lifecycle_stages), tiers=list(data.tiers))
    return card


def _cards_with(cards: Sequence[Scorecard], edited: Scorecard) -> list[Scorecard]:
    others = [c for c in cards if c.pk is None or c.pk != edited.pk]
    # The order scorecards_in_order answers: non-default by priority then id; a new one goes after its equals.
    return sorted([*others, edited], key=lambda c: (c.is_default, c.priority, c.pk if c.pk is not None else math.inf))


def _latest_scores(tenant: Tenant, ids: Sequence[int]) -> dict[int, tuple[float | None, str]]:
    rows = (HealthScore.objects.filter(tenant=tenant, account_id__in=list(ids)).order_by("account_id", "-day")
            .distinct("account_id").values_list("account_id", "score", "band"))
    return {account_id: (score, band) for account_id, score, band in rows}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def preview(*, tenant: Tenant, scorecard: Scorecard | None, data: ScorecardData) -> Preview:
    """What saving ``data`` (cleaned by services.clean_scorecard_data) would do to today's scores of the
    accounts it would apply to. A fixed number of queries whatever the number of accounts."""
    edited = _edited_card(scorecard, data)
    cards = _cards_with(scorecards_in_order(tenant=tenant), edited)
    segments = [(stage, tier) for stage, tier, _ in account_segments(tenant=tenant)
                if pick_scorecard(cards, lifecycle_stage=stage, tier=tier) is edited]
    ids = account_ids_in_segments(tenant=tenant, segments=segments, limit=PREVIEW_MAX_ACCOUNTS + 1)
    capped, ids = len(ids) > PREVIEW_MAX_ACCOUNTS, ids[:PREVIEW_MAX_ACCOUNTS]
    day = tenant_today(tenant)
    result = Preview(day=day, accounts=len(ids), capped=capped)
    if not ids:
        return result
    computed = {account_id: compute(inputs, data.definition) for account_id, inputs in inputs_as_of(
        tenant=tenant, day=day, account_ids=ids, categories=sorted(categories_of(data.definition))).items()}
    stored = _latest_scores(tenant, ids)
    changes: list[tuple[int, float | None, str, object]] = []
    before_scores, after_scores = [], []
    for account_id, after in computed.items():
        score_before, band_before = stored.get(account_id, (None, ""))
        if score_before is not None:
            before_scores.append(score_before)
        if after.score is not None:
            after_scores.append(after.score)
            result.bands_after[after.band] = result.bands_after.get(after.band, 0) + 1
        if account_id not in stored or after.score is None:
            result.unscored += 1
        if band_before != after.band:
            changes.append((account_id, score_before, band_before, after))
    result.band_changes = len(changes)
    result.mean_before, result.mean_after = _mean(before_scores), _mean(after_scores)
    # The largest moves first; the names of the rows shown only (one query).
    changes.sort(key=lambda c: (-abs((c[3].score or 0) - (c[1] or 0)), c[0]))
    shown = changes[:PREVIEW_MAX_ROWS]
    names = {a.pk: a for a in accounts_by_id(tenant=tenant, ids=[c[0] for c in shown])}
    result.rows = [BandChange(account=names[account_id], band_before=band_before, band_after=after.band,
                              score_before=score_before, score_after=after.score, confidence_after=after.confidence)
                   for account_id, score_before, band_before, after in shown if account_id in names]
    return result
