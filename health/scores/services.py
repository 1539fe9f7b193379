"""Every write of scorecards and scores (DESIGN.md: keyword-only, typed, atomic): the tenant's default
scorecard, saving a scorecard with a new immutable version when its definition changes, and the recompute
that upserts the daily score rows.

Recompute decisions: chunks of accounts, each chunk and day in its own transaction under
``pg_advisory_xact_lock(RECOMPUTE_LOCK_CLASS, tenant)`` (blocking, not try: a second run waits for the chunk
and then rewrites the same values, so two runs at once never interleave inside a chunk and both finish). A
worker killed mid-run loses only its open chunk; the committed ones stay, and a rerun is idempotent (upsert
on tenant + account + day: the same row ids, the same values but ``computed_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Tenant
from accounts.selectors import tenant_today
from health.scores import dirty
from health.scores.compute import categories_of, compute
from health.scores.definitions import DefinitionError, clean_definition, default_definition
from health.scores.inputs import account_ids as tenant_account_ids
from health.scores.inputs import inputs_as_of
from health.scores.models import MAX_NAME, HealthScore, Scorecard, ScorecardVersion
from health.scores.selectors import pick_scorecard, scorecards_in_order

DEFAULT_NAME = "Default"
MAX_MATCH_VALUES = 20
# pg_advisory_xact_lock(class, tenant id): one chunk of one tenant's recompute at a time (any constant of
# ours; 5_001 QA, 12_001 survey sender, 13_001 learning emails, 52_005 support costs are taken).
RECOMPUTE_LOCK_CLASS = 14_001
# pg_try_advisory_xact_lock(class, tenant id): one dirty-flag batch of a tenant at a time; a second one at
# once skips (the running one re-queues itself while a backlog remains), so no mark is processed twice.
DIRTY_LOCK_CLASS = 14_002
DIRTY_BATCH = 500
MAX_CHUNK = 5_000
SCORE_FIELDS = ["version", "score", "band", "confidence", "components", "computed_at"]


class ScorecardError(ValueError):
    """Bad scorecard input; ``field`` names what is wrong (a page or the API shows it as a 4xx)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ScorecardData:
    name: str
    definition: dict
    lifecycle_stages: Sequence[str] = field(default_factory=list)
    tiers: Sequence[str] = field(default_factory=list)
    priority: int = 100


def _values(values: Sequence[str], name: str) -> list[str]:
    if not isinstance(values, (list, tuple)) or len(values) > MAX_MATCH_VALUES or any(
            not isinstance(v, str) or not v.strip() or len(v) > 64 for v in values):
        raise ScorecardError(f"at most {MAX_MATCH_VALUES} values of 1 to 64 characters", name)
    return sorted({v.strip().casefold() for v in values})


def _new_version(*, tenant: Tenant, scorecard: Scorecard, definition: dict,
                 by: AbstractBaseUser | None) -> ScorecardVersion:
    last = ScorecardVersion.objects.filter(tenant=tenant, scorecard=scorecard).order_by("-number").first()
    version = ScorecardVersion.objects.create(tenant=tenant, scorecard=scorecard,
                                              number=(last.number + 1) if last else 1,
                                              definition=definition, created_at=timezone.now(), created_by=by)
    Scorecard.objects.filter(tenant=tenant, pk=scorecard.pk).update(current_version=version,
                                                                   updated_at=timezone.now())
    scorecard.current_version = version
    return version


def ensure_default_scorecard(*, tenant: Tenant) -> Scorecard:
    """The tenant's default scorecard, created with the default definition (version 1) on first use; two
    first uses at once make one (the unique default per tenant decides, the loser reads the winner's)."""
    found = Scorecard.objects.filter(tenant=tenant, is_default=True).select_related("current_version").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            scorecard = Scorecard.objects.create(tenant=tenant, name=DEFAULT_NAME, is_default=True, priority=1000)
            _new_version(tenant=tenant, scorecard=scorecard, definition=default_definition(), by=None)
            return scorecard
    except IntegrityError:
        return Scorecard.objects.select_related("current_version").get(tenant=tenant, is_default=True)


def clean_scorecard_data(*, tenant: Tenant, scorecard: Scorecard | None, data: ScorecardData) -> ScorecardData:
    """``data`` as it would be stored (name trimmed, stages and tiers normalised, the definition cleaned), or a
    ScorecardError naming the field: what ``save_scorecard`` checks, so a preview refuses what a save would."""
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ScorecardError(f"a name of 1 to {MAX_NAME} characters", "name")
    if isinstance(data.priority, bool) or not isinstance(data.priority, int) or not 0 <= data.priority <= 1000:
        raise ScorecardError("a whole number from 0 to 1000", "priority")
    stages, tiers = _values(data.lifecycle_stages, "lifecycle_stages"), _values(data.tiers, "tiers")
    try:
        definition = clean_definition(data.definition)
    except DefinitionError as error:
        raise ScorecardError(str(error), error.field) from None
    if Scorecard.objects.filter(tenant=tenant, name=name).exclude(pk=scorecard.pk if scorecard else None).exists():
        raise ScorecardError("another scorecard has this name", "name")
    if scorecard is not None and scorecard.is_default and (stages or tiers):
        raise ScorecardError("the default scorecard applies to every account no other matches", "lifecycle_stages")
    return ScorecardData(name=name, definition=definition, lifecycle_stages=stages, tiers=tiers,
                         priority=data.priority)


@transaction.atomic
def save_scorecard(*, tenant: Tenant, scorecard: Scorecard | None, data: ScorecardData,
                   by: AbstractBaseUser | None) -> Scorecard:
    """Create a scorecard or update one; a definition different from the current version's becomes the next
    version (versions never change: the scores computed with one stay reproducible). All or nothing."""
    clean = clean_scorecard_data(tenant=tenant, scorecard=scorecard, data=data)
    scorecard = scorecard or Scorecard(tenant=tenant)
    scorecard.name, scorecard.priority = clean.name, clean.priority
    scorecard.lifecycle_stages, scorecard.tiers = list(clean.lifecycle_stages), list(clean.tiers)
    scorecard.save()
    current = scorecard.current_version
    if current is None or current.definition != clean.definition:
        _new_version(tenant=tenant, scorecard=scorecard, definition=clean.definition, by=by)
    return scorecard


def _lock_recompute(tenant: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RECOMPUTE_LOCK_CLASS, tenant.pk])


def _score_chunk(*, tenant: Tenant, day: dt.date, ids: list[int], scorecards: list[Scorecard],
                 categories: list[str]) -> int:
    now = timezone.now()
    rows = []
    for account_id, inputs in inputs_as_of(tenant=tenant, day=day, account_ids=ids, categories=categories).items():
        card = pick_scorecard(scorecards, lifecycle_stage=inputs.lifecycle_stage, tier=inputs.tier)
        version = card.current_version
        result = compute(inputs, version.definition)
        rows.append(HealthScore(tenant=tenant, account_id=account_id, day=day, version=version, score=result.score,
                                band=result.band, confidence=result.confidence, components=result.components,
                                computed_at=now))
    HealthScore.objects.bulk_create(rows, update_conflicts=True, unique_fields=["tenant", "account", "day"],
                                    update_fields=SCORE_FIELDS)
    return len(rows)


def recompute(*, tenant: Tenant, days: Iterable[dt.date], account_ids: Sequence[int] | None = None,
              chunk: int = 500) -> int:
    """Compute and upsert the score rows of the tenant's accounts (or of ``account_ids``) for each local day
    in ``days``, each account with the scorecard that applies to it (the default one is created if missing).
    Returns the number of rows written. Queries: a few to start, then a fixed number per chunk and day."""
    if not 1 <= chunk <= MAX_CHUNK:
        raise ValueError(f"chunk must be 1-{MAX_CHUNK}")
    days = sorted(set(days))
    ensure_default_scorecard(tenant=tenant)
    scorecards = scorecards_in_order(tenant=tenant)
    categories = sorted(set().union(*(categories_of(c.current_version.definition) for c in scorecards)))
    ids = tenant_account_ids(tenant=tenant, only=account_ids)
    written = 0
    for start in range(0, len(ids), chunk):
        for day in days:
            with transaction.atomic():
                _lock_recompute(tenant)
                written += _score_chunk(tenant=tenant, day=day, ids=ids[start:start + chunk],
                                        scorecards=scorecards, categories=categories)
    return written


def after_recompute(*, tenant: Tenant, day: dt.date, account_ids: Sequence[int]) -> None:
    """Called by the nightly recompute and by every dirty-flag batch once ``account_ids``' scores of ``day``
    are written, inside the batch's transaction (so a batch that fails or is killed redoes it with the
    scores). The alert rules (health.alerts.services.evaluate_rules) are wired here; nothing yet."""


@dataclass(frozen=True)
class DirtyBatch:
    recomputed: int = 0  # score rows written (accounts that still exist among the marked ones)
    cleared: int = 0  # marks deleted; a mark renewed during the batch stays
    backlog: int = 0  # marks made before this batch started and still waiting: the caller re-queues
    busy: bool = False  # another batch of the tenant was running: this one did nothing


def recompute_dirty(*, tenant: Tenant, limit: int | None = None) -> DirtyBatch:
    """Recompute today's (local) score of up to ``limit`` (default ``DIRTY_BATCH``) marked accounts, oldest
    mark first, and clear the marks handled, all in one transaction: a worker killed mid-batch leaves every
    mark for the next run.

    A change committed while this runs renews its account's mark, which then survives the clear (see
    health.scores.dirty). A mark of an account deleted meanwhile went with the account (cascade), or is
    cleared with no score written. Two batches at once: the second finds the tenant's lock taken and skips."""
    limit = DIRTY_BATCH if limit is None else limit
    if not 1 <= limit <= MAX_CHUNK:
        raise ValueError(f"limit must be 1-{MAX_CHUNK}")
    started = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [DIRTY_LOCK_CLASS, tenant.pk])
            if not cursor.fetchone()[0]:
                return DirtyBatch(busy=True)
        marks = dirty.oldest_marks(tenant=tenant, limit=limit)
        if not marks:
            return DirtyBatch()
        day = tenant_today(tenant)
        ids = [account_id for account_id, _ in marks]
        written = recompute(tenant=tenant, days=[day], account_ids=ids, chunk=limit)
        after_recompute(tenant=tenant, day=day, account_ids=ids)
        cleared = dirty.clear_marks(tenant=tenant, marks=marks)
    return DirtyBatch(recomputed=written, cleared=cleared,
                      backlog=dirty.marks_waiting(tenant=tenant, marked_before=started))
