"""QA peer reviews (issue 5): every write of the program. Keyword-only, typed, atomic.

A review's score (0-100) is the weighted mean of its criteria scores, each taken as a fraction of the
criterion's maximum: ``100 * sum(weight * score / max) / sum(weight)``. It is computed once, when the
review is submitted, and stored, so later edits of the rubric do not rewrite past reviews.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import RestrictedError
from django.utils import timezone

from accounts.models import Tenant
from support.models import Agent, QaCriterion, QaReview, QaRubric, QaScore, Ticket, TicketStatus

# pg_advisory_xact_lock(class, tenant): two samplings of one tenant never interleave (no duplicate pairs).
SAMPLING_LOCK_CLASS = 5_001


DEFAULT_PER_AGENT = 5


class QaError(ValueError):
    """A refused QA write; the message names the field or criterion at fault."""


@dataclass(frozen=True)
class CriterionInput:
    name: str
    weight: Decimal
    max_score: int
    description: str = ""
    position: int = 0
    criterion: QaCriterion | None = None  # an existing row to update; None creates one
    delete: bool = False


def _check_unique_names(*, tenant: Tenant, rubric: QaRubric, criteria: list[CriterionInput]) -> None:
    """The rubric's criterion names after the edit must be unique (the constraint is per rubric): the
    criteria the submission leaves alone count too (a new criterion named like one that a stale page did
    not show was an IntegrityError, a 500)."""
    touched = {item.criterion.pk for item in criteria if item.criterion is not None}
    names = [n for pk, n in QaCriterion.objects.filter(tenant=tenant, rubric=rubric).values_list("pk", "name")
             if pk not in touched]
    names += [item.name.strip() for item in criteria if not item.delete]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise QaError(f"criteria: names must be unique in the rubric: {', '.join(duplicates)}")


@transaction.atomic
def save_rubric(*, tenant: Tenant, rubric: QaRubric, name: str, criteria: list[CriterionInput]) -> QaRubric:
    """Create or rename a rubric and apply its criteria edits in one transaction. A criterion that past
    reviews scored cannot be deleted (their scores would lose their meaning): deactivate the rubric."""
    if rubric.pk is not None and rubric.tenant_id != tenant.pk:
        raise QaError("rubric: not of this tenant")
    rubric.tenant = tenant
    rubric.name = name.strip()
    if not rubric.name:
        raise QaError("name: required")
    rubric.save()
    _check_unique_names(tenant=tenant, rubric=rubric, criteria=criteria)
    for item in criteria:
        row = item.criterion
        if row is not None and (row.tenant_id != tenant.pk or row.rubric_id != rubric.pk):
            raise QaError(f"{row.name}: not a criterion of this rubric")
        if item.delete:
            if row is not None:
                try:
                    QaCriterion.objects.filter(tenant=tenant, pk=row.pk).delete()
                except RestrictedError:
                    raise QaError(f"{row.name}: already scored in reviews, it cannot be deleted") from None
            continue
        row = row or QaCriterion(tenant=tenant, rubric=rubric)
        row.name, row.description = item.name.strip(), item.description
        row.weight, row.max_score, row.position = item.weight, item.max_score, item.position
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # Final names are unique (checked above), but renames applied one by one can meet on the way
            # (two criteria swapping names): refused with the field named, not a 500.
            raise QaError(f"criteria: {row.name!r} is still the name of another criterion; rename in two "
                          "steps") from None
    weights = list(QaCriterion.objects.filter(tenant=tenant, rubric=rubric).values_list("weight", flat=True))
    if not weights:
        raise QaError("criteria: a rubric needs at least one criterion")
    if sum(weights) <= 0:
        raise QaError("criteria: the weights must not all be zero")
    return rubric


@transaction.atomic
def set_rubric_active(*, tenant: Tenant, rubric: QaRubric, active: bool) -> QaRubric:
    QaRubric.objects.filter(tenant=tenant, pk=rubric.pk).update(is_active=active)
    rubric.is_active = active
    return rubric


def compute_score(items: list[tuple[Decimal | float, int, int]]) -> float | None:
    """``items`` = (weight, score, max_score) per criterion; None when the weights sum to zero."""
    total_weight = sum(float(w) for w, _, _ in items)
    if total_weight <= 0:
        return None
    return 100 * sum(float(w) * s / m for w, s, m in items) / total_weight


@dataclass(frozen=True)
class ScoreInput:
    criterion: QaCriterion
    score: int
    comment: str = ""


@transaction.atomic
def queue_review(*, tenant: Tenant, ticket: Ticket, agent: Agent, rubric: QaRubric, reviewer,
                 source: str = QaReview.Source.MANUAL) -> QaReview:
    """A reviewer's review of one ticket's replies by one agent, queued (or the one they already have):
    a review chosen by a person rather than sampled. Nobody reviews their own replies."""
    if {ticket.tenant_id, agent.tenant_id, rubric.tenant_id} != {tenant.pk}:
        raise QaError("review: ticket, agent and rubric must be of this tenant")
    if agent_is_user(agent, reviewer):
        raise QaError("review: nobody reviews their own replies")
    review, _ = QaReview.objects.get_or_create(tenant=tenant, ticket=ticket, agent=agent, reviewer=reviewer,
                                               defaults={"rubric": rubric, "source": source})
    return review


@transaction.atomic
def submit_review(*, tenant: Tenant, review: QaReview, reviewer, scores: list[ScoreInput],
                  comment: str = "", submitted_at: dt.datetime | None = None) -> QaReview:
    """Score every criterion of the review's rubric, store the overall score and mark it submitted
    (``submitted_at``: now unless given, e.g. by the demo placing its history in the past).
    The reviewer takes the (queued, unassigned) review; nobody reviews their own work."""
    review = QaReview.objects.select_for_update().filter(tenant=tenant, pk=review.pk).select_related("agent").first()
    if review is None:
        raise QaError("review: no such review")
    if review.state == QaReview.State.SUBMITTED:
        raise QaError("review: already submitted")
    if review.reviewer_id is not None and review.reviewer_id != reviewer.pk:
        raise QaError("review: assigned to another reviewer")
    if review.agent.user_id is not None and review.agent.user_id == reviewer.pk:
        raise QaError("review: nobody reviews their own replies")
    criteria = {c.pk: c for c in QaCriterion.objects.filter(tenant=tenant, rubric_id=review.rubric_id)}
    given = {s.criterion.pk: s for s in scores}
    missing = [c.name for pk, c in criteria.items() if pk not in given]
    if missing:
        raise QaError(f"{', '.join(sorted(missing))}: a score is required")
    for item in scores:
        criterion = criteria.get(item.criterion.pk)
        if criterion is None:
            raise QaError(f"{item.criterion.name}: not a criterion of this review's rubric")
        if not 0 <= item.score <= criterion.max_score:
            raise QaError(f"{criterion.name}: the score must be between 0 and {criterion.max_score}")
    score = compute_score([(criteria[s.criterion.pk].weight, s.score, criteria[s.criterion.pk].max_score)
                           for s in scores])
    if score is None:
        raise QaError("rubric: its weights sum to zero, no score can be computed")
    QaScore.objects.filter(tenant=tenant, review=review).delete()
    QaScore.objects.bulk_create([QaScore(tenant=tenant, review=review, criterion=criteria[s.criterion.pk],
                                         score=s.score, comment=s.comment) for s in scores])
    review.reviewer = reviewer
    review.score = score
    review.comment = comment
    review.state = QaReview.State.SUBMITTED
    review.submitted_at = submitted_at or timezone.now()
    try:
        with transaction.atomic():
            review.save(update_fields=["reviewer", "score", "comment", "state", "submitted_at"])
    except IntegrityError:
        raise QaError("review: you already reviewed this ticket for this agent") from None
    return review


@transaction.atomic
def start_calibration(*, tenant: Tenant, review: QaReview, reviewer) -> QaReview:
    """A second reviewer's own review of the same ticket and agent (the calibration pair), or the one
    they already have."""
    if review.agent.user_id is not None and review.agent.user_id == reviewer.pk:
        raise QaError("review: nobody reviews their own replies")
    if review.reviewer_id == reviewer.pk:
        raise QaError("review: calibration needs a second reviewer")
    mine, _ = QaReview.objects.get_or_create(
        tenant=tenant, ticket_id=review.ticket_id, agent_id=review.agent_id, reviewer=reviewer,
        defaults={"rubric_id": review.rubric_id, "source": review.source},
    )
    return mine


# The CSAT of a ticket (METRICS.md) is its latest CSAT response; low is <= 2 (surveys.scales: the low band,
# which also opens the closed loop). Surveys owns the tables; this read joins them by raw SQL like the reports.
_LOW_CSAT_SQL = """
SELECT t.id, t.resolved_assignee_id
FROM support_ticket t
JOIN LATERAL (
    SELECT r.score FROM surveys_surveyresponse r JOIN surveys_survey s ON s.id = r.survey_id AND s.kind = 'csat'
    WHERE r.tenant_id = t.tenant_id AND r.ticket_id = t.id
    ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1
) latest ON true
WHERE t.tenant_id = %(tenant)s AND t.resolved_at >= %(since)s AND t.resolved_assignee_id IS NOT NULL
  AND latest.score <= %(low)s
ORDER BY t.id
"""
LOW_CSAT = 2


def low_csat_pairs(*, tenant: Tenant, since: dt.datetime) -> list[tuple[int, int]]:
    """(ticket_id, agent_id) of every ticket first resolved since ``since`` whose CSAT (its latest CSAT
    response) is low (score <= 2), attributed to the agent assigned when it was first resolved (METRICS.md
    attribution of CSAT). A ticket resolved while unassigned has nobody to review: left out."""
    with connection.cursor() as cursor:
        cursor.execute(_LOW_CSAT_SQL, {"tenant": tenant.pk, "since": since, "low": LOW_CSAT})
        return [(ticket_id, agent_id) for ticket_id, agent_id in cursor.fetchall()]


@dataclass(frozen=True)
class SampleResult:
    stratified: int
    low_csat: int

    @property
    def total(self) -> int:
        return self.stratified + self.low_csat


# For each agent, a random order of their candidate tickets that takes one ticket of each channel in
# turn (rank within the channel first), so N per agent spreads over the channels they worked on.
_SAMPLE_SQL = """
WITH candidates AS (
    SELECT DISTINCT i.ticket_id, i.agent_id, t.channel
    FROM support_interaction i
    JOIN support_ticket t ON t.id = i.ticket_id AND t.tenant_id = i.tenant_id
    WHERE i.tenant_id = %(tenant)s
      AND i.agent_id IS NOT NULL AND i.author_type = 'agent' AND i.direction = 'outbound' AND NOT i.is_internal
      AND t.status = ANY(%(resolved)s) AND t.resolved_at >= %(since)s
      AND NOT EXISTS (SELECT 1 FROM support_qareview r
                      WHERE r.tenant_id = i.tenant_id AND r.ticket_id = i.ticket_id AND r.agent_id = i.agent_id)
), ranked AS (
    SELECT ticket_id, agent_id, channel,
           row_number() OVER (PARTITION BY agent_id, channel ORDER BY random()) AS in_channel,
           random() AS tie
    FROM candidates
), spread AS (
    SELECT ticket_id, agent_id,
           row_number() OVER (PARTITION BY agent_id ORDER BY in_channel, tie) AS n
    FROM ranked
)
SELECT ticket_id, agent_id FROM spread WHERE n <= %(per_agent)s ORDER BY agent_id, n
"""


@transaction.atomic
def sample_reviews(*, tenant: Tenant, rubric: QaRubric, since: dt.datetime, per_agent: int = DEFAULT_PER_AGENT,
                   include_low_csat: bool = True) -> SampleResult:
    """Queue reviews: up to ``per_agent`` random resolved tickets per agent that the agent replied to
    publicly, spread over channels, plus every low-CSAT ticket. A (ticket, agent) pair that has a
    review in any state is never sampled again."""
    if rubric.tenant_id != tenant.pk or not rubric.is_active:
        raise QaError("rubric: choose an active rubric")
    if per_agent < 1:
        raise QaError("per_agent: at least 1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SAMPLING_LOCK_CLASS, tenant.pk])
        cursor.execute(_SAMPLE_SQL, {"tenant": tenant.pk, "since": since, "per_agent": per_agent,
                                     "resolved": [TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value]})
        picked = [(ticket_id, agent_id) for ticket_id, agent_id in cursor.fetchall()]
    low = []
    if include_low_csat:
        candidates = low_csat_pairs(tenant=tenant, since=since)
        skip = set(picked) | _reviewed_pairs(tenant=tenant, pairs=candidates)
        low = [p for p in dict.fromkeys(candidates) if p not in skip]
    rows = [QaReview(tenant=tenant, ticket_id=t, agent_id=a, rubric=rubric, source=QaReview.Source.STRATIFIED)
            for t, a in picked]
    rows += [QaReview(tenant=tenant, ticket_id=t, agent_id=a, rubric=rubric, source=QaReview.Source.LOW_CSAT)
             for t, a in low]
    QaReview.objects.bulk_create(rows)
    return SampleResult(stratified=len(picked), low_csat=len(low))


def _reviewed_pairs(*, tenant: Tenant, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    if not pairs:
        return set()
    tickets = {t for t, _ in pairs}
    return set(QaReview.objects.filter(tenant=tenant, ticket_id__in=tickets).values_list("ticket_id", "agent_id"))


def sample_for_week(*, tenant: Tenant, now: dt.datetime | None = None) -> SampleResult | None:
    """The weekly beat: the newest active rubric, tickets resolved in the last 7 days."""
    rubric = QaRubric.objects.filter(tenant=tenant, is_active=True).order_by("-created_at", "-pk").first()
    if rubric is None:
        return None
    since = (now or timezone.now()) - dt.timedelta(days=7)
    return sample_reviews(tenant=tenant, rubric=rubric, since=since, include_low_csat=True)


def agent_is_user(agent: Agent, user) -> bool:
    return agent.user_id is not None and agent.user_id == getattr(user, "pk", None)
