"""Reads of the learner portal, inside the learner's tenant scope. Each page's reads are a fixed number of
queries whatever the number of paths or steps (tests/learning/test_portal.py asserts them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery, Value
from django.utils import timezone

from learning.models import Enrollment, EnrollmentStatus, QuizAttempt, Step, StepProgress
from learning.portal.sessions import Learner
from learning.progress import QuestionResult, question_results

ACTIVITY_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class PathRow:
    enrollment: Enrollment
    steps: int
    done: int
    resume_key: str | None  # the first step not done, in order; None when every step is done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.steps) if self.steps else 0


def _count(rows) -> Subquery:
    return Subquery(rows.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk")).values("n")[:1])


def my_paths(learner: Learner) -> list[PathRow]:
    """The learner's enrollments (withdrawn ones left out): required paths first, then by priority and name;
    steps, steps done and the step to resume at, in one query."""
    tenant = learner.tenant
    version_steps = Step.objects.filter(tenant=tenant, version_id=OuterRef("version_id"))
    progress = StepProgress.objects.filter(tenant=tenant, enrollment_id=OuterRef("pk"),
                                           step__version_id=OuterRef("version_id"))
    resume = (version_steps.exclude(pk__in=StepProgress.objects.filter(
        tenant=tenant, enrollment_id=OuterRef(OuterRef("pk"))).values("step_id"))
        .order_by("position").values("key")[:1])
    rows = (Enrollment.objects.filter(tenant=tenant, contact=learner.contact)
            .exclude(status=EnrollmentStatus.WITHDRAWN).select_related("path", "version")
            .annotate(steps_total=_count(version_steps), steps_done=_count(progress), resume_key=Subquery(resume))
            .order_by("-path__is_required", "path__priority", "path__name", "pk"))
    return [PathRow(enrollment=e, steps=e.steps_total or 0, done=e.steps_done or 0, resume_key=e.resume_key)
            for e in rows]


@dataclass(frozen=True)
class StepRow:
    step: Step
    done_at: dt.datetime | None
    evidence: dict
    current: bool  # the first step not done: where "Resume" goes


def path_steps(enrollment: Enrollment) -> list[StepRow]:
    """The steps of the enrollment's pinned version in order, each with its progress (two queries)."""
    steps = list(Step.objects.filter(tenant_id=enrollment.tenant_id, version_id=enrollment.version_id)
                 .select_related("article").order_by("position"))
    progress = {p.step_id: p for p in StepProgress.objects.filter(tenant_id=enrollment.tenant_id,
                                                                  enrollment=enrollment)}
    rows, current_seen = [], False
    for step in steps:
        done = progress.get(step.pk)
        current = done is None and not current_seen
        current_seen = current_seen or current
        rows.append(StepRow(step=step, done_at=done.done_at if done else None,
                            evidence=done.evidence if done else {}, current=current))
    return rows


def newer_version_exists(enrollment: Enrollment) -> bool:
    """The path was published again after the learner started theirs (they finish the one they have)."""
    path = enrollment.path
    return bool(path.is_published and path.current_version_id and path.current_version_id != enrollment.version_id
                and enrollment.status != EnrollmentStatus.COMPLETED)


@dataclass(frozen=True)
class StoredAttempt:
    score: int
    passed: bool
    number: int
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class QuizState:
    attempts_used: int
    attempts_left: int | None  # None = unlimited
    last: StoredAttempt | None

    @property
    def passed(self) -> bool:
        return bool(self.last and self.last.passed)

    @property
    def exhausted(self) -> bool:
        return not self.passed and self.attempts_left == 0


def quiz_state(enrollment: Enrollment, step: Step) -> QuizState:
    """The learner's attempts at a quiz step: how many, how many left, and the latest one's result (shown
    again on the page: a passed quiz keeps showing its result). One query."""
    attempts = list(QuizAttempt.objects.filter(tenant_id=enrollment.tenant_id, enrollment=enrollment, step=step)
                    .order_by("created_at", "pk").values("answers", "score", "passed"))
    limit = step.quiz.get("max_attempts") or 0
    last = None
    if attempts:
        row = attempts[-1]
        last = StoredAttempt(score=row["score"], passed=row["passed"], number=len(attempts),
                             questions=question_results(step.quiz, row["answers"]))
    return QuizState(attempts_used=len(attempts), attempts_left=max(limit - len(attempts), 0) if limit else None,
                     last=last)


def next_step_key(enrollment: Enrollment, step: Step) -> str | None:
    """The first step after ``step`` (by position) that is not done, or None."""
    return (Step.objects.filter(tenant_id=enrollment.tenant_id, version_id=enrollment.version_id,
                                position__gt=step.position)
            .exclude(progress__enrollment=enrollment).order_by("position").values_list("key", flat=True).first())


def step_progress(enrollment: Enrollment, step: Step) -> StepProgress | None:
    return StepProgress.objects.filter(tenant_id=enrollment.tenant_id, enrollment=enrollment, step=step).first()


def touch_activity(enrollment: Enrollment, now: dt.datetime | None = None) -> None:
    """A visit is activity (stalled-learner reminders look at it): written at most once a minute."""
    now = now or timezone.now()
    if enrollment.last_activity_at is not None and now - enrollment.last_activity_at < ACTIVITY_EVERY:
        return
    Enrollment.objects.filter(tenant_id=enrollment.tenant_id, pk=enrollment.pk).update(last_activity_at=now)
    enrollment.last_activity_at = now
