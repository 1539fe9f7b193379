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

import orjson
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.models import Tenant
from accounts.selectors import tenant_today
from health.scores import dirty
from health.scores.compute import categories_of, compute
from health.scores.definitions import DefinitionError, clean_definition, default_definition
from health.scores.inputs import FIRST_DAYS, inputs_as_of, inputs_for_days, tenant_inputs_as_of
from health.scores.inputs import account_ids as tenant_account_ids
from health.scores.models import MAX_NAME, Scorecard, ScorecardVersion
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
# The whole tenant's usage statement sorts its 90 days of rollup rows by account (COUNT DISTINCT), a block of
# days sorts each account's contact-days and feature-days: with the default 4 MB the sorts spill to disk from
# ~10k accounts (one day) or 1,000 accounts x 30 days on (EXPLAIN ANALYZE, bench/health.py's datasets: 40 s
# with 64 MB, 27 s without spilling). One recompute transaction per tenant at a time (the lock), for its
# duration only (SET LOCAL).
TENANT_WORK_MEM = "256MB"
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


def _lock_recompute(tenant: Tenant, work_mem: str | None = None) -> None:
    """The tenant's recompute lock; ``work_mem`` for the rest of the transaction too (set_config's ``true``:
    SET LOCAL), in the same statement."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%(class)s, %(tenant)s), "
                       "CASE WHEN %(work_mem)s::text IS NOT NULL THEN set_config('work_mem', %(work_mem)s, true) END",
                       {"class": RECOMPUTE_LOCK_CLASS, "tenant": tenant.pk, "work_mem": work_mem})


# The chunk's rows go through a session temp table, filled by one binary COPY, and one INSERT ... ON CONFLICT
# from it: bulk_create's UNNEST of 500-element parameter arrays (the components' JSON quoted client-side) cost
# more than reading the inputs and scoring. ON COMMIT DELETE ROWS empties it with every chunk's commit.
_STAGE = "health_score_stage"
_STAGE_SQL = (f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (account_id bigint, day date, version_id bigint, "
              "score double precision, band text, confidence double precision, components jsonb) "
              f"ON COMMIT DELETE ROWS; TRUNCATE {_STAGE}")
_STAGE_TYPES = ["int8", "date", "int8", "float8", "text", "float8", "jsonb"]
_UPSERT_SQL = """
INSERT INTO health_healthscore (tenant_id, account_id, day, version_id, score, band, confidence,
                                components, computed_at)
SELECT %(tenant)s, s.account_id, s.day, s.version_id, s.score, s.band, s.confidence, s.components, %(now)s
FROM health_score_stage s
ON CONFLICT (tenant_id, account_id, day) DO UPDATE SET
    version_id = EXCLUDED.version_id, score = EXCLUDED.score, band = EXCLUDED.band,
    confidence = EXCLUDED.confidence, components = EXCLUDED.components, computed_at = EXCLUDED.computed_at
"""


def _upsert_scores(tenant: Tenant, rows: list[tuple]) -> None:
    """Upsert ``(account id, day, version id, score, band, confidence, components)`` rows (the unique tenant +
    account + day decides); inside the caller's transaction, whose scope lets row-level security check them."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_SQL)
        with cursor.cursor.copy(f"COPY {_STAGE} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(_UPSERT_SQL, {"tenant": tenant.pk, "now": timezone.now()})


def _score_rows(tenant: Tenant, day: dt.date, inputs_by_account: dict, scorecards: list[Scorecard]) -> list[tuple]:
    rows = []
    for account_id, inputs in inputs_by_account.items():
        card = pick_scorecard(scorecards, lifecycle_stage=inputs.lifecycle_stage, tier=inputs.tier)
        version = card.current_version
        result = compute(inputs, version.definition)
        rows.append((account_id, day, version.pk, result.score, result.band, result.confidence,
                     Jsonb(result.components, dumps=orjson.dumps)))  # json.dumps's values, faster
    return rows


def _score_chunk(*, tenant: Tenant, day: dt.date, ids: list[int], scorecards: list[Scorecard],
                 categories: list[str]) -> int:
    rows = _score_rows(tenant, day, inputs_as_of(tenant=tenant, day=day, account_ids=ids, categories=categories),
                       scorecards)
    if rows:
        _upsert_scores(tenant, rows)
    return len(rows)


def _score_tenant(*, tenant: Tenant, day: dt.date, scorecards: list[Scorecard], categories: list[str],
                  chunk: int) -> int:
    """Every account of the tenant on ``day``: the inputs read once for the tenant, the rows written
    ``chunk`` at a time (a bounded COPY and upsert each)."""
    rows = _score_rows(tenant, day, tenant_inputs_as_of(tenant=tenant, day=day, categories=categories), scorecards)
    for start in range(0, len(rows), chunk):
        _upsert_scores(tenant, rows[start:start + chunk])
    return len(rows)


def _score_days(*, tenant: Tenant, days: list[dt.date], ids: list[int] | None, scorecards: list[Scorecard],
                categories: list[str], chunk: int) -> int:
    """A block of days of the accounts (the tenant's when None): the usage of all of them in one pass
    (health.scores.inputs.inputs_for_days), the rows written ``chunk`` at a time."""
    if len(days) == 1:
        if ids is None:
            return _score_tenant(tenant=tenant, day=days[0], scorecards=scorecards, categories=categories,
                                 chunk=chunk)
        return _score_chunk(tenant=tenant, day=days[0], ids=ids, scorecards=scorecards, categories=categories)
    rows = []
    for day, inputs in inputs_for_days(tenant=tenant, days=days, account_ids=ids, categories=categories).items():
        rows += _score_rows(tenant, day, inputs, scorecards)
    for start in range(0, len(rows), chunk):
        _upsert_scores(tenant, rows[start:start + chunk])
    return len(rows)


# A backfill reads many days in one pass (inputs_for_days) over blocks of days whose grid of accounts x (days
# spanned + 89) stays within BLOCK_CELLS; one day per block from ~5,000 accounts on (then each day is one pass
# anyway, and a block of days would hold too many rows in memory).
BLOCK_CELLS = 500_000
MAX_BLOCK_DAYS = 61


def day_blocks(days: list[dt.date], accounts: int) -> list[list[dt.date]]:
    """Sorted ``days`` cut into blocks spanning at most the days the number of accounts allows."""
    span = max(1, min(MAX_BLOCK_DAYS, BLOCK_CELLS // max(accounts, 1) - FIRST_DAYS))
    blocks: list[list[dt.date]] = []
    for day in days:
        if blocks and (day - blocks[-1][0]).days < span:
            blocks[-1].append(day)
        else:
            blocks.append([day])
    return blocks


def recompute(*, tenant: Tenant, days: Iterable[dt.date], account_ids: Sequence[int] | None = None,
              chunk: int = 500) -> int:
    """Compute and upsert the score rows of the tenant's accounts (or of ``account_ids``) for each local day
    in ``days``, each account with the scorecard that applies to it (the default one is created if missing).
    Returns the number of rows written. Queries: a few to start, then a fixed number per chunk and day.

    The whole tenant (``account_ids`` None: the nightly run, bench/health.py) is one transaction per block of
    days under the lock: each input family read once for the tenant (health.scores.inputs.tenant_inputs_as_of)
    instead of once per chunk, then written ``chunk`` rows at a time; a worker killed mid-run loses its open
    block. Given ``account_ids`` (the jobs, the dirty batch), each chunk of accounts and block of days is its own
    transaction. A block is one day, or several (:func:`day_blocks`: a backfill of few accounts) read in one
    pass over the rollups (health.scores.inputs.inputs_for_days)."""
    if not 1 <= chunk <= MAX_CHUNK:
        raise ValueError(f"chunk must be 1-{MAX_CHUNK}")
    days = sorted(set(days))
    ensure_default_scorecard(tenant=tenant)
    scorecards = scorecards_in_order(tenant=tenant)
    categories = sorted(set().union(*(categories_of(c.current_version.definition) for c in scorecards)))
    written = 0
    if account_ids is None:
        accounts = len(tenant_account_ids(tenant=tenant)) if len(days) > 1 else 1
        for block in day_blocks(days, accounts):
            with transaction.atomic():
                _lock_recompute(tenant, work_mem=TENANT_WORK_MEM)
                written += _score_days(tenant=tenant, days=block, ids=None, scorecards=scorecards,
                                       categories=categories, chunk=chunk)
        return written
    ids = tenant_account_ids(tenant=tenant, only=account_ids)
    for start in range(0, len(ids), chunk):
        for block in day_blocks(days, min(chunk, len(ids))):
            with transaction.atomic():
                _lock_recompute(tenant, work_mem=TENANT_WORK_MEM if len(block) > 1 else None)
                written += _score_days(tenant=tenant, days=block, ids=ids[start:start + chunk],
                                       scorecards=scorecards, categories=categories, chunk=chunk)
    return written


def after_recompute(*, tenant: Tenant, day: dt.date, account_ids: Sequence[int] | None) -> dict:
    """Called by the nightly recompute (``account_ids`` None: every account) and by every dirty-flag batch
    once the scores of ``day`` are written, inside the batch's transaction (so a batch that fails or is
    killed redoes it with the scores): the alert rules see the new scores at once, and their dedupe makes a
    second evaluation of the same causes raise nothing."""
    from health.alerts.services import evaluate_rules  # alerts read the scores: imported late, no cycle

    return evaluate_rules(tenant=tenant, day=day, account_ids=account_ids)


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
