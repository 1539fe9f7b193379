"""QA peer reviews (issue 5): every read of the program, and the QA score the support report uses.

QA score (an issue-5 figure, same rules as METRICS.md): the mean of the stored scores (0-100) of the
reviews *submitted* in the period ``[date_from_utc, date_to_utc)``; by agent, the reviewed agent; by team,
through the agent's team. A group without submitted reviews gives ``None``, not 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.db import connection
from django.db.models import Avg, Count, Prefetch, Q, QuerySet

from accounts.access import fetch_one
from accounts.models import Tenant
from support.models import Agent, QaCriterion, QaReview, QaRubric, QaScore, Team

CALIBRATION_LIMIT = 100  # the calibration page shows the pairs that disagree most


def get_qarubric_for_tenant(tenant: Tenant, *, pk: int) -> QaRubric:
    return fetch_one(QaRubric.objects.filter(tenant=tenant), "rubric", pk=pk)


def get_qareview_for_tenant(tenant: Tenant, *, pk: int) -> QaReview:
    related = ("ticket__contact", "ticket__account", "agent__team", "rubric", "reviewer")
    return fetch_one(QaReview.objects.filter(tenant=tenant).select_related(*related), "review", pk=pk)


def rubric_list(*, tenant: Tenant) -> QuerySet[QaRubric]:
    return (QaRubric.objects.filter(tenant=tenant)
            .annotate(criteria_count=Count("criteria", distinct=True), review_count=Count("reviews", distinct=True))
            .order_by("-is_active", "name"))


def rubric_criteria(*, tenant: Tenant, rubric: QaRubric) -> list[QaCriterion]:
    return list(QaCriterion.objects.filter(tenant=tenant, rubric=rubric).order_by("position", "name", "pk"))


def active_rubrics(*, tenant: Tenant) -> QuerySet[QaRubric]:
    return QaRubric.objects.filter(tenant=tenant, is_active=True).order_by("name")


def queue_reviews(*, tenant: Tenant, user) -> QuerySet[QaReview]:
    """Queued reviews this user may take: unassigned or theirs, never of their own replies."""
    return (QaReview.objects.filter(tenant=tenant, state=QaReview.State.QUEUED)
            .filter(Q(reviewer__isnull=True) | Q(reviewer=user))
            .exclude(agent__user=user)
            .select_related("ticket", "agent__team", "rubric", "reviewer")
            .order_by("created_at", "pk"))


def review_scores(*, tenant: Tenant, review: QaReview) -> dict[int, QaScore]:
    return {s.criterion_id: s for s in QaScore.objects.filter(tenant=tenant, review=review)}


def other_reviews(*, tenant: Tenant, review: QaReview) -> list[QaReview]:
    """The other reviews of the same ticket and agent (the calibration siblings)."""
    return list(QaReview.objects.filter(tenant=tenant, ticket_id=review.ticket_id, agent_id=review.agent_id)
                .exclude(pk=review.pk).select_related("reviewer").order_by("pk"))


def my_reviews(*, tenant: Tenant, agent: Agent) -> QuerySet[QaReview]:
    """Submitted reviews of the agent's work, newest first, with their scores per criterion."""
    return (QaReview.objects.filter(tenant=tenant, agent=agent, state=QaReview.State.SUBMITTED)
            .select_related("ticket", "rubric", "reviewer")
            .prefetch_related(Prefetch("scores", queryset=QaScore.objects.filter(tenant=tenant).select_related(
                "criterion").order_by("criterion__position", "criterion__name", "pk")))
            .order_by("-submitted_at", "-pk"))


@dataclass
class CriterionDisagreement:
    name: str
    max_score: int
    first: int | None
    second: int | None

    @property
    def difference(self) -> int | None:
        return None if self.first is None or self.second is None else abs(self.first - self.second)


@dataclass
class CalibrationPair:
    first: QaReview
    second: QaReview
    difference: float
    criteria: list[CriterionDisagreement] = field(default_factory=list)


_PAIRS_SQL = """
SELECT r1.id, r2.id, abs(r1.score - r2.score) AS difference
FROM support_qareview r1
JOIN support_qareview r2
  ON r2.tenant_id = r1.tenant_id AND r2.ticket_id = r1.ticket_id AND r2.agent_id = r1.agent_id
 AND r2.id > r1.id AND r2.state = 'submitted'
WHERE r1.tenant_id = %s AND r1.state = 'submitted'
ORDER BY difference DESC, r1.id, r2.id
LIMIT %s
"""


def calibration_pairs(*, tenant: Tenant, limit: int = CALIBRATION_LIMIT) -> list[CalibrationPair]:
    """Two submitted reviews of the same ticket and agent by different reviewers, with the absolute
    difference of their overall scores and of each criterion's score, largest overall difference first.
    Three queries, whatever the number of pairs."""
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL, [tenant.pk, limit])
        rows = cursor.fetchall()
    ids = {i for a, b, _ in rows for i in (a, b)}
    reviews = QaReview.objects.filter(tenant=tenant, pk__in=ids).select_related("ticket", "agent", "reviewer",
                                                                                  "rubric").in_bulk()
    scores: dict[int, dict[int, QaScore]] = {}
    criteria: dict[int, QaCriterion] = {}
    for s in QaScore.objects.filter(tenant=tenant, review_id__in=ids).select_related("criterion"):
        scores.setdefault(s.review_id, {})[s.criterion_id] = s
        criteria[s.criterion_id] = s.criterion
    pairs = []
    for first_id, second_id, difference in rows:
        first, second = reviews[first_id], reviews[second_id]
        a, b = scores.get(first_id, {}), scores.get(second_id, {})
        ordered = sorted({*a, *b}, key=lambda c: (criteria[c].position, criteria[c].name, c))
        pairs.append(CalibrationPair(first=first, second=second, difference=difference, criteria=[
            CriterionDisagreement(name=criteria[c].name, max_score=criteria[c].max_score,
                                  first=a[c].score if c in a else None, second=b[c].score if c in b else None)
            for c in ordered
        ]))
    return pairs


def _submitted_in(prefix: str, date_from_utc: dt.datetime, date_to_utc: dt.datetime) -> Q:
    return Q(**{f"{prefix}state": QaReview.State.SUBMITTED, f"{prefix}submitted_at__gte": date_from_utc,
                f"{prefix}submitted_at__lt": date_to_utc})


def qa_scores(*, tenant: Tenant, date_from_utc: dt.datetime, date_to_utc: dt.datetime,
              group_by: Literal["none", "agent", "team"] = "agent", agent_ids: list[int] | None = None) -> list[dict]:
    """Mean submitted QA score (0-100) in ``[date_from_utc, date_to_utc)``, one SQL query.

    ``agent``: one row per agent (``agent_id``, ``agent``, ``team_id``, ``qa_score``, ``qa_reviews``);
    ``team``: one row per team (``team_id``, ``team``, ...); ``none``: one row. ``qa_score`` is None when
    the group has no submitted review in the period. ``agent_ids`` narrows the agent rows."""
    if group_by == "none":
        row = (QaReview.objects.filter(tenant=tenant).filter(_submitted_in("", date_from_utc, date_to_utc))
               .aggregate(qa_score=Avg("score"), qa_reviews=Count("id")))
        return [row]
    if group_by == "agent":
        where = _submitted_in("qa_reviews__", date_from_utc, date_to_utc)
        agents = Agent.objects.filter(tenant=tenant)
        if agent_ids is not None:
            agents = agents.filter(pk__in=agent_ids)
        rows = (agents
                .annotate(qa_score=Avg("qa_reviews__score", filter=where), n_reviews=Count("qa_reviews", filter=where))
                .order_by("name", "email", "pk")
                .values("pk", "name", "email", "team_id", "qa_score", "n_reviews"))
        return [{"agent_id": r["pk"], "agent": r["name"] or r["email"], "team_id": r["team_id"],
                 "qa_score": r["qa_score"], "qa_reviews": r["n_reviews"]} for r in rows]
    if group_by == "team":
        where = _submitted_in("agents__qa_reviews__", date_from_utc, date_to_utc)
        rows = (Team.objects.filter(tenant=tenant)
                .annotate(qa_score=Avg("agents__qa_reviews__score", filter=where),
                          n_reviews=Count("agents__qa_reviews", filter=where))
                .order_by("name", "pk").values("pk", "name", "qa_score", "n_reviews"))
        return [{"team_id": r["pk"], "team": r["name"], "qa_score": r["qa_score"], "qa_reviews": r["n_reviews"]}
                for r in rows]
    raise ValueError(f"group_by: one of none, agent, team (got {group_by!r})")
