"""A learner's progress (DESIGN.md: keyword-only, typed, atomic): steps done, quiz attempts, paths completed.

Every writer of progress goes through here: the learner portal (lessons, articles, quizzes), product tasks
completed by usage events, and completions reported by an external LMS. What "started" and "completed" mean
is decided once, in SQL, by :func:`refresh_status` (METRICS.md "Learning"):

- **started**: any step of the enrollment's version done; ``started_at`` = the earliest ``done_at``.
- **completed**: every required step of the version done; ``completed_at`` = the latest ``done_at`` of those
  steps (an LMS reporting last week's completion completes it last week, not today). A version whose steps
  are all optional needs every step: an author who marks everything optional still means "do these".
- Completion gives the enrollment a certificate code (a random UUID's 122 bits, URL-safe base64, made by the
  database so a set-based completion of many enrollments needs no Python loop) and then offers the paths
  whose prerequisites it satisfies (:func:`learning.services.enroll`).

A withdrawn enrollment takes no progress (:class:`ProgressError`): the learner is not on that path any more.
Completion is final: a later migration or edit never un-completes a learner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Tenant
from health.scores.dirty import mark_dirty_for_contacts
from learning.models import Enrollment, EnrollmentStatus, QuizAttempt, Step, StepKind, StepProgress
from learning.quizzes import score as quiz_score
from learning.services import enroll

MAX_EVIDENCE_KEYS = 20
MAX_EVIDENCE_TEXT = 500


class ProgressError(ValueError):
    """Progress that cannot be recorded; ``field`` names what is wrong (shown as a 4xx)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _bounded_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence is shown to learners and CSMs: a small flat object of short values, never a whole payload."""
    out: dict[str, Any] = {}
    for key, value in list((evidence or {}).items())[:MAX_EVIDENCE_KEYS]:
        if isinstance(value, str):
            value = value[:MAX_EVIDENCE_TEXT]
        elif isinstance(value, dict):
            value = {str(k)[:100]: str(v)[:MAX_EVIDENCE_TEXT] for k, v in list(value.items())[:MAX_EVIDENCE_KEYS]}
        elif not isinstance(value, (int, float, bool)) and value is not None:
            value = str(value)[:MAX_EVIDENCE_TEXT]
        out[str(key)[:100]] = value
    return out


_REFRESH_SQL = """
WITH facts AS (
    SELECT e.id, v.steps, v.required, d.first_done, d.all_done, d.required_done,
           CASE WHEN v.required > 0 THEN d.last_required ELSE d.last_any END AS last_done
      FROM learning_enrollment e
     CROSS JOIN LATERAL (
           SELECT count(*) AS steps, count(*) FILTER (WHERE s.is_required) AS required
             FROM learning_step s WHERE s.tenant_id = e.tenant_id AND s.version_id = e.version_id) v
     CROSS JOIN LATERAL (
           SELECT min(p.done_at) AS first_done, count(*) AS all_done,
                  count(*) FILTER (WHERE s.is_required) AS required_done,
                  max(p.done_at) FILTER (WHERE s.is_required) AS last_required, max(p.done_at) AS last_any
             FROM learning_stepprogress p
             JOIN learning_step s ON s.id = p.step_id AND s.version_id = e.version_id
            WHERE p.tenant_id = e.tenant_id AND p.enrollment_id = e.id) d
     WHERE e.tenant_id = %(tenant)s AND e.id = ANY(%(ids)s) AND e.status IN ('enrolled', 'started')
), decided AS (
    SELECT id, first_done, last_done,
           steps > 0 AND CASE WHEN required > 0 THEN required_done >= required ELSE all_done >= steps END AS complete
      FROM facts
)
UPDATE learning_enrollment e
   SET started_at = COALESCE(e.started_at, d.first_done),
       status = CASE WHEN d.complete THEN 'completed'
                     WHEN d.first_done IS NOT NULL THEN 'started' ELSE e.status END,
       completed_at = CASE WHEN d.complete THEN d.last_done ELSE e.completed_at END,
       certificate_code = CASE WHEN d.complete AND e.certificate_code = '' THEN %(code)s
                               ELSE e.certificate_code END,
       last_activity_at = GREATEST(e.last_activity_at, d.last_done, d.first_done)
  FROM decided d
 WHERE e.tenant_id = %(tenant)s AND e.id = d.id
RETURNING e.id, e.contact_id, e.status
"""

# A random UUID's 122 bits as 22 URL-safe characters, made by the database (one per row of a set-based pass).
_CERTIFICATE_CODE = "translate(rtrim(encode(uuid_send(gen_random_uuid()), 'base64'), '='), '+/', '-_')"


def refresh_status(*, tenant: Tenant, enrollment_ids: Sequence[int]) -> list[int]:
    """Recompute started / completed for these enrollments from their progress, in one statement; then
    offer the paths whose prerequisites the newly completed ones satisfy. Answers the ids of the enrollments
    that are completed now (including ones completed before). Idempotent."""
    if not enrollment_ids:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL.replace("%(code)s", _CERTIFICATE_CODE),
                       {"tenant": tenant.pk, "ids": list(enrollment_ids)})
        rows = cursor.fetchall()
        completed_contacts = sorted({contact for _, contact, status in rows
                                     if status == EnrollmentStatus.COMPLETED})
        # Training adoption is a health input: the accounts of the newly completed (the UPDATE touches only
        # enrollments not completed before) are recomputed soon, marked in this transaction.
        mark_dirty_for_contacts(tenant=tenant, contact_ids=completed_contacts)
    if completed_contacts:
        enroll(tenant=tenant, contact_ids=completed_contacts)
    return [pk for pk, _, status in rows if status == EnrollmentStatus.COMPLETED]


def _locked(tenant: Tenant, enrollment: Enrollment) -> Enrollment:
    """The enrollment, row-locked: two writers of one learner's progress take turns (attempt counting)."""
    locked = Enrollment.objects.select_for_update().get(tenant=tenant, pk=enrollment.pk)
    if locked.status == EnrollmentStatus.WITHDRAWN:
        raise ProgressError("this enrollment was withdrawn", "enrollment")
    return locked


def _check_step(enrollment: Enrollment, step: Step) -> None:
    if step.tenant_id != enrollment.tenant_id or step.version_id != enrollment.version_id:
        raise ProgressError("this step is not part of the learner's version of the path", "step")


@transaction.atomic
def complete_step(*, tenant: Tenant, enrollment: Enrollment, step: Step, done_at: dt.datetime | None = None,
                  evidence: dict[str, Any] | None = None) -> bool:
    """Record ``step`` done for ``enrollment`` (once: a second call changes nothing and answers False) and
    update the enrollment's status. ``evidence`` says how (bounded: it is shown to the learner)."""
    enrollment = _locked(tenant, enrollment)
    _check_step(enrollment, step)
    now = timezone.now()
    _, created = StepProgress.objects.get_or_create(
        tenant=tenant, enrollment=enrollment, step=step,
        defaults={"done_at": done_at or now, "evidence": _bounded_evidence(evidence or {})})
    Enrollment.objects.filter(tenant=tenant, pk=enrollment.pk).update(last_activity_at=now)
    if created:
        refresh_status(tenant=tenant, enrollment_ids=[enrollment.pk])
    return created


@transaction.atomic
def complete_path(*, tenant: Tenant, enrollment: Enrollment, completed_at: dt.datetime,
                  evidence: dict[str, Any] | None = None) -> bool:
    """Mark the whole path completed without its steps (an external LMS says so); answers False when it
    was completed already (idempotent: the first completion's time and evidence stay)."""
    enrollment = _locked(tenant, enrollment)
    if enrollment.status == EnrollmentStatus.COMPLETED:
        return False
    Enrollment.objects.filter(tenant=tenant, pk=enrollment.pk).update(
        status=EnrollmentStatus.COMPLETED, completed_at=completed_at,
        started_at=enrollment.started_at or completed_at,
        completion_evidence=_bounded_evidence(evidence or {}), last_activity_at=timezone.now())
    with connection.cursor() as cursor:  # the same certificate code as refresh_status makes
        cursor.execute(f"UPDATE learning_enrollment SET certificate_code = {_CERTIFICATE_CODE} "  # noqa: S608
                       "WHERE tenant_id = %s AND id = %s AND certificate_code = ''", [tenant.pk, enrollment.pk])
    mark_dirty_for_contacts(tenant=tenant, contact_ids=[enrollment.contact_id])  # training adoption changed
    enroll(tenant=tenant, contact_ids=[enrollment.contact_id])
    return True


@dataclass(frozen=True)
class QuestionResult:
    correct: bool
    feedback: tuple[str, ...]  # the feedback of each choice the learner picked, in order


@dataclass(frozen=True)
class QuizResult:
    score: int
    passed: bool
    attempt: int  # 1 for the first attempt
    attempts_left: int | None  # None = unlimited
    questions: tuple[QuestionResult, ...]


def _clean_answers(quiz: dict, answers: Any) -> list[list[int]]:
    questions = quiz["questions"]
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise ProgressError(f"an answer for each of the {len(questions)} questions", "answers")
    out = []
    for qi, (question, chosen) in enumerate(zip(questions, answers, strict=True)):
        where = f"answers[{qi}]"
        if not isinstance(chosen, list) or not chosen:
            raise ProgressError("choose an answer", where)
        if any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < len(question["choices"])
               for c in chosen) or len(set(chosen)) != len(chosen):
            raise ProgressError("choices are the numbers of this question's choices, each once", where)
        if not question["multiple"] and len(chosen) != 1:
            raise ProgressError("choose one answer", where)
        out.append(sorted(chosen))
    return out


@transaction.atomic
def submit_quiz(*, tenant: Tenant, enrollment: Enrollment, step: Step, answers: Any) -> QuizResult:
    """Score one attempt at a quiz step and keep it (``QuizAttempt``); a passing attempt completes the step.
    Refused (ProgressError) when the quiz is passed already or its attempts are used up; ``answers`` is one
    list of chosen choice indexes per question (a multiple-choice question needs its exact set)."""
    enrollment = _locked(tenant, enrollment)
    _check_step(enrollment, step)
    if step.kind != StepKind.QUIZ:
        raise ProgressError("this step is not a quiz", "step")
    quiz = step.quiz
    chosen = _clean_answers(quiz, answers)
    attempts = QuizAttempt.objects.filter(tenant=tenant, enrollment=enrollment, step=step)
    if attempts.filter(passed=True).exists():
        raise ProgressError("this quiz is passed already", "step")
    used = attempts.count()
    limit = quiz.get("max_attempts") or 0
    if limit and used >= limit:
        raise ProgressError(f"all {limit} attempts are used", "answers")
    result = quiz_score(quiz, chosen)
    passed = result >= quiz["passing_score"]
    now = timezone.now()
    QuizAttempt.objects.create(tenant=tenant, enrollment=enrollment, step=step, answers=chosen, score=result,
                               passed=passed, created_at=now)
    if passed:
        complete_step(tenant=tenant, enrollment=enrollment, step=step, done_at=now,
                      evidence={"kind": "quiz", "score": result, "attempt": used + 1})
        # The attempts it took (failed attempts have no progress row: QuizAttempt keeps them).
        StepProgress.objects.filter(tenant=tenant, enrollment=enrollment, step=step).update(attempts=used + 1)
    else:
        Enrollment.objects.filter(tenant=tenant, pk=enrollment.pk).update(last_activity_at=now)
    return QuizResult(score=result, passed=passed, attempt=used + 1,
                      attempts_left=None if not limit else limit - used - 1, questions=question_results(quiz, chosen))


def question_results(quiz: dict, chosen: Sequence[Sequence[int]]) -> tuple[QuestionResult, ...]:
    """Per question: right or not, and the feedback of the choices picked (also how the learner portal shows a
    stored attempt again)."""
    return tuple(
        QuestionResult(correct=set(c) == {i for i, ch in enumerate(q["choices"]) if ch["correct"]},
                       feedback=tuple(q["choices"][i]["feedback"] for i in c if q["choices"][i]["feedback"]))
        for q, c in zip(quiz["questions"], chosen, strict=True))
